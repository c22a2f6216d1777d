"""Generic person CSV: any agency's list of people, read through a TOML mapping file.

The "anything else" format: a CSV file with one person per row, and a mapping file that names the
system, the id column, which column holds which Hafan field and which columns yield facts. The mapping
format and the errors are documented in docs/ingest/generic.md; the engine is hafan.ingest.mapping.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import ClassVar

from hafan.ingest.adapters.base import Adapter, ParseContext
from hafan.ingest.mapping import compile_mapping, parse_mapped
from hafan.ingest.reading import Source
from hafan.ingest.records import IngestRecord, RowError


class GenericCsvAdapter(Adapter):
    """One IngestRecord per row; the mapping must map given_name and family_name, and name the id column."""

    format: ClassVar[str] = "generic"
    label: ClassVar[str] = "Person list (CSV with a mapping file)"
    description: ClassVar[str] = (
        "Any agency's CSV list of people, one row per person, with a TOML mapping file naming the columns."
    )
    needs_mapping: ClassVar[bool] = True

    def parse(self, sources: Sequence[Source], context: ParseContext) -> Iterator[IngestRecord | RowError]:
        plan = compile_mapping(context.mapping, format_label="generic")
        yield from parse_mapped(sources, context, plan, format_label="generic")
