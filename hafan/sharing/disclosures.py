"""The disclosure log: each time an agency's information is shown to someone from another agency."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from hafan.core.vocabulary import Channel, Purpose
from hafan.sharing.models import Disclosure


def disclosure_record(
    *,
    user: Any,
    child: Any,
    facts: Iterable[Any],
    channel: Channel,
    purpose: Purpose,
    target_type: str,
    target_id: str,
    shares: Mapping[tuple[str, str, str], tuple[int, str]],
    break_glass: bool = False,
) -> list[Disclosure]:
    """One row per agency whose facts left its own view: what kinds and how many, to whom, on which
    agreement and lawful basis. The viewer's own agency's facts are not disclosures."""
    to_agency = getattr(user, "agency", None)
    to_code = to_agency.code if to_agency else ""
    by_agency: dict[int, tuple[Any, set[str], int]] = {}
    for fact in facts:
        if fact.agency.code == to_code:
            continue
        agency, categories, count = by_agency.get(fact.agency_id, (fact.agency, set(), 0))
        categories.add(fact.data_category)
        by_agency[fact.agency_id] = (agency, categories, count + 1)
    rows = []
    for agency, categories, count in by_agency.values():
        cover = next(
            (
                shares[(agency.code, to_code, c)]
                for c in sorted(categories)
                if (agency.code, to_code, c) in shares
            ),
            None,
        )
        rows.append(
            Disclosure(
                child=child,
                from_agency=agency,
                to_agency=to_agency,
                to_user=user if getattr(user, "is_authenticated", False) else None,
                channel=channel,
                purpose=purpose,
                target_type=target_type,
                target_id=str(target_id),
                data_categories=sorted(categories),
                item_count=count,
                agreement_id=cover[0] if cover else None,
                lawful_basis=cover[1] if cover else "",
                break_glass=break_glass,
            )
        )
    return Disclosure.objects.bulk_create(rows)
