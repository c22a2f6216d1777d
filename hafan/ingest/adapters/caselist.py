"""A council's case list (CSV), read through a TOML mapping file.

Councils' case management systems (WCCIS, Liquidlogic, Mosaic) export an open-cases list with their own
column names: the mapping file says which column is which. Same engine as the generic format
(hafan.ingest.mapping), with two differences: the mapping must map the id, both names and the date of
birth (and every row must have a date of birth), and a [[facts]] entry without a category is a
`looked_after` fact, the case list being social care's. Documented in docs/ingest/caselist.md.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import ClassVar

from hafan.core.vocabulary import FactCategory
from hafan.ingest.adapters.base import Adapter, ParseContext
from hafan.ingest.mapping import compile_mapping, parse_mapped
from hafan.ingest.reading import Source
from hafan.ingest.records import IngestRecord, RowError

REQUIRED_FIELDS = ("given_name", "family_name", "date_of_birth")


class CaseListAdapter(Adapter):
    """One IngestRecord per case-list row: the child, and the social care facts the mapping names."""

    format: ClassVar[str] = "caselist"
    label: ClassVar[str] = "Council case list (CSV with a mapping file)"
    description: ClassVar[str] = (
        "A council's open-cases list exported from its case management system, with a TOML mapping file."
    )
    needs_mapping: ClassVar[bool] = True

    def parse(self, sources: Sequence[Source], context: ParseContext) -> Iterator[IngestRecord | RowError]:
        plan = compile_mapping(
            context.mapping,
            format_label="caselist",
            required_fields=REQUIRED_FIELDS,
            default_category=FactCategory.LOOKED_AFTER.value,
            date_of_birth_required=True,
        )
        yield from parse_mapped(sources, context, plan, format_label="caselist")
