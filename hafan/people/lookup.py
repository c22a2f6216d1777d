"""Finding a child by NHS number or unique pupil number, through the keyed-hash columns only.

The plaintext identifier never reaches the SQL: the query compares `lookup_hash(kind, value)` with
`SourceRecord.nhs_number_key` / `upn_key` (docs/encryption.md). No permission check here: callers decide
what the user may do with the answer (emergency access, matching a report).
"""

from __future__ import annotations

from hafan.core.crypto import nhs_number_key, upn_key
from hafan.people.models import Child, SourceRecord

# A chain of merges is short; the bound only guards against a cycle written by hand in the database.
_MAX_MERGE_HOPS = 50


def surviving_child(child: Child) -> Child:
    """The identity `child` was merged into, following the chain to its end (itself if never merged)."""
    for _ in range(_MAX_MERGE_HOPS):
        if child.merged_into_id is None:
            return child
        child = Child.objects.get(pk=child.merged_into_id)
    raise RuntimeError("A chain of merged identities is too long: check Child.merged_into for a cycle.")


def child_ids_by_identifier(*, nhs_number: str = "", upn: str = "") -> set[int]:
    """Ids of the children whose agency records hold the NHS number (or, without one, the UPN)."""
    if nhs_number:
        key = nhs_number_key(nhs_number)
        if key:
            return set(SourceRecord.objects.filter(nhs_number_key=key).values_list("child_id", flat=True))
    if upn:
        key = upn_key(upn)
        if key:
            return set(SourceRecord.objects.filter(upn_key=key).values_list("child_id", flat=True))
    return set()


def child_by_identifier(*, nhs_number: str = "", upn: str = "") -> Child | None:
    """The surviving hub identity whose records carry this NHS number (tried first) or UPN.

    None when nothing matches, or when the identifier is on records of more than one surviving identity
    (a false match is worse than a miss).
    """
    for kwargs in ({"nhs_number": nhs_number}, {"upn": upn}):
        if not next(iter(kwargs.values())):
            continue
        ids = child_ids_by_identifier(**kwargs)
        if not ids:
            continue
        survivors = {s.pk: s for s in (surviving_child(c) for c in Child.objects.filter(pk__in=ids))}
        return survivors.popitem()[1] if len(survivors) == 1 else None
    return None
