"""Writes the audit trail. Services call `audit_record` inside their own transaction.

Every entry is appended to one hash chain (hafan.sharing.chain): appends are serialised, so each entry's
`seq` is the previous one's plus one and its `prev_hash` is the previous entry's hash. On PostgreSQL a
transaction-scoped advisory lock does that; SQLite's IMMEDIATE transactions (config/settings.py) already
let one writer in at a time. The lock is held until the caller's transaction ends, so a service should audit
as late in its transaction as it can.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from django.core.serializers.json import DjangoJSONEncoder
from django.db import connection, transaction
from django.utils import timezone

from hafan.core.middleware import current_request_id
from hafan.core.vocabulary import Purpose
from hafan.sharing import chain
from hafan.sharing.models import AuditAction, AuditEvent

# Any constant works, as long as nothing else in the database takes the same advisory lock: "hafan-audit".
AUDIT_CHAIN_LOCK = 0x6861666175646974


def audit_record(
    *,
    actor: Any,
    action: AuditAction,
    purpose: Purpose,
    target_type: str,
    target_id: str | uuid.UUID,
    child_public_id: uuid.UUID | None = None,
    detail: dict[str, Any] | None = None,
) -> AuditEvent:
    authenticated = actor is not None and getattr(actor, "is_authenticated", False)
    agency = getattr(actor, "agency", None) if authenticated else None
    fields: dict[str, Any] = {
        "actor_id": actor.pk if authenticated else None,
        "actor_username": actor.get_username() if authenticated else "(system)",
        "agency_code": agency.code if agency else "",
        "role": str(getattr(actor, "role", "") or "") if authenticated else "",
        "action": str(action),
        "purpose": str(purpose),
        "target_type": target_type,
        "target_id": str(target_id),
        "child_public_id": child_public_id,
        "request_id": current_request_id(),
        # Stored and hashed as the JSON column will give it back (times, UUIDs and decimals as text).
        "detail": json.loads(json.dumps(detail or {}, cls=DjangoJSONEncoder)),
    }
    with transaction.atomic():
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute("SELECT pg_advisory_xact_lock(%s)", [AUDIT_CHAIN_LOCK])
        head = chain_head()
        # Taken under the lock, so times follow the chain's order.
        fields["at"] = timezone.now()
        entry = chain.link(fields, seq=head.seq + 1, prev_hash=head.entry_hash)
        event = AuditEvent(**entry)
        event.save(force_insert=True)
    return event


@dataclass(frozen=True)
class Head:
    seq: int
    entry_hash: str


def chain_head() -> Head:
    """The last entry of the chain (seq 0 and the genesis hash when the trail is empty)."""
    last = AuditEvent.objects.order_by("-seq").values_list("seq", "entry_hash").first()
    if last is None or last[0] is None:
        return Head(seq=0, entry_hash=chain.GENESIS)
    return Head(seq=last[0], entry_hash=last[1])


def chain_entries(*, after_seq: int | None = None, chunk_size: int = 2000) -> Iterator[dict[str, Any]]:
    """The chain in seq order as plain mappings for hafan.sharing.chain, streamed from the database: every
    row (a forged row numbered 0 or below is part of what is checked), or those after `after_seq`."""
    events = AuditEvent.objects.all() if after_seq is None else AuditEvent.objects.filter(seq__gt=after_seq)
    rows = events.order_by("seq").values_list(*chain.FIELDS).iterator(chunk_size=chunk_size)
    for row in rows:
        yield dict(zip(chain.FIELDS, row, strict=True))


def chain_entry(seq: int) -> dict[str, Any] | None:
    row = AuditEvent.objects.filter(seq=seq).values_list(*chain.FIELDS).first()
    return None if row is None else dict(zip(chain.FIELDS, row, strict=True))
