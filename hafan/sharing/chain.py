"""The audit trail's hash chain: pure functions over plain mappings, no database.

Each entry carries `seq` (1, 2, 3... with no gaps), `prev_hash` (the entry before it's `entry_hash`; 64 zeros
for the first) and `entry_hash`: SHA-256 over a canonical serialisation of everything else it records. Changing
any field of any entry, removing one, slipping one in or moving one breaks the chain at that entry, which
`verify` reports. Removing entries from the end, or rewriting the whole chain from some entry onwards, leaves a
chain that is consistent with itself: only a copy of an earlier head kept somewhere else (a checkpoint) shows
it. docs/audit.md explains what this does and does not prove.

`hafan.sharing.audit` writes entries with `link`; `hafan audit_verify` reads them back through `verify`;
tests/unit/test_audit_chain.py attacks these functions directly.
"""

from __future__ import annotations

import datetime
import enum
import hashlib
import json
import uuid
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

GENESIS = "0" * 64

# The fields an entry's hash covers, in the order of the serialisation's keys (which are sorted anyway).
HASHED_FIELDS = (
    "seq",
    "prev_hash",
    "at",
    "actor_id",
    "actor_username",
    "agency_code",
    "role",
    "action",
    "purpose",
    "target_type",
    "target_id",
    "child_public_id",
    "request_id",
    "detail",
)
FIELDS = (*HASHED_FIELDS, "entry_hash")


def _utc(at: datetime.datetime | str) -> str:
    if isinstance(at, str):
        return at
    if at.tzinfo is None:
        raise ValueError("Audit times must be timezone-aware.")
    return at.astimezone(datetime.UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def _text(value: Any) -> str:
    if isinstance(value, enum.Enum):
        value = value.value
    return "" if value is None else str(value)


def _json_value(value: Any) -> Any:
    """What a JSON column gives back: lists for tuples, string keys, and integral floats as integers
    (PostgreSQL's jsonb stores numbers as numeric and may hand 2.0 back as 2)."""
    if isinstance(value, Mapping):
        return {str(k): _json_value(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_json_value(v) for v in value]
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, enum.Enum):
        return _json_value(value.value)
    return value


def canonical(entry: Mapping[str, Any]) -> bytes:
    """The bytes an entry's hash is taken over: compact JSON with sorted keys, times in UTC to the
    microsecond, identifiers as text. Values are normalised the way the database returns them, so a hash
    computed before the row is written matches one computed from the row read back."""
    child = entry.get("child_public_id")
    actor_id = entry.get("actor_id")
    document = {
        "seq": int(entry["seq"]),
        "prev_hash": _text(entry.get("prev_hash")),
        "at": _utc(entry["at"]),
        "actor_id": None if actor_id is None else int(actor_id),
        "actor_username": _text(entry.get("actor_username")),
        "agency_code": _text(entry.get("agency_code")),
        "role": _text(entry.get("role")),
        "action": _text(entry.get("action")),
        "purpose": _text(entry.get("purpose")),
        "target_type": _text(entry.get("target_type")),
        "target_id": _text(entry.get("target_id")),
        "child_public_id": None if child is None else str(uuid.UUID(str(child))),
        "request_id": _text(entry.get("request_id")),
        "detail": _json_value(entry.get("detail") or {}),
    }
    return json.dumps(document, sort_keys=True, separators=(",", ":"), ensure_ascii=True).encode("ascii")


def entry_hash(entry: Mapping[str, Any]) -> str:
    return hashlib.sha256(canonical(entry)).hexdigest()


def link(fields: Mapping[str, Any], *, seq: int, prev_hash: str) -> dict[str, Any]:
    """The next entry: `fields` placed at `seq` after the entry whose hash is `prev_hash`, with its own hash."""
    entry = {name: fields.get(name) for name in HASHED_FIELDS}
    entry["seq"] = seq
    entry["prev_hash"] = prev_hash
    entry["entry_hash"] = entry_hash(entry)
    return entry


# Checkpoints: a copy of the head kept outside the database.


@dataclass(frozen=True)
class Checkpoint:
    seq: int
    entry_hash: str
    taken_at: str = ""
    line: int = 0


class CheckpointFormatError(ValueError):
    pass


def checkpoint_line(*, taken_at: datetime.datetime, seq: int, head_hash: str) -> str:
    return f"{_utc(taken_at)} {seq} {head_hash}\n"


def parse_checkpoints(lines: Iterable[str]) -> list[Checkpoint]:
    """Reads a checkpoint file: `<UTC time> <seq> <entry hash>` per line; blank lines and # comments skipped."""
    found = []
    for number, raw in enumerate(lines, start=1):
        text = raw.strip()
        if not text or text.startswith("#"):
            continue
        parts = text.split()
        if (
            len(parts) != 3
            or not parts[1].isdigit()
            or len(parts[2]) != 64
            or any(c not in "0123456789abcdef" for c in parts[2])
        ):
            raise CheckpointFormatError(f"line {number} is not '<time> <seq> <hash>'")
        found.append(Checkpoint(seq=int(parts[1]), entry_hash=parts[2], taken_at=parts[0], line=number))
    return found


# Verification


class Problem(enum.StrEnum):
    CHANGED = "changed"
    MISSING = "missing"
    INSERTED = "inserted"
    OUT_OF_ORDER = "out of order"
    TRUNCATED = "truncated"


@dataclass(frozen=True)
class Break:
    seq: int
    problem: Problem
    explanation: str

    def __str__(self) -> str:
        return f"entry {self.seq}: {self.problem}: {self.explanation}"


@dataclass(frozen=True)
class Verification:
    entries: int
    head_seq: int
    head_hash: str
    broken: Break | None

    @property
    def ok(self) -> bool:
        return self.broken is None


def verify(
    entries: Iterable[Mapping[str, Any]],
    *,
    checkpoints: Sequence[Checkpoint] = (),
    start_seq: int = 1,
    start_prev_hash: str = GENESIS,
) -> Verification:
    """Walks the entries in the order given (the database's seq order) and stops at the first broken one.

    Streaming: it keeps only the last two hashes. `start_seq`/`start_prev_hash` continue a chain from a
    known-good point (an earlier checkpoint) instead of the beginning."""
    by_seq: dict[int, Checkpoint] = {}
    for checkpoint in sorted(checkpoints, key=lambda c: c.seq):
        by_seq.setdefault(checkpoint.seq, checkpoint)
    expected = start_seq
    prev = start_prev_hash
    before_prev: str | None = None  # the hash two entries back: an entry linking to it skips the one between
    count = 0

    def result(broken: Break | None) -> Verification:
        return Verification(entries=count, head_seq=expected - 1, head_hash=prev, broken=broken)

    for entry in entries:
        seq = int(entry["seq"])
        if seq != expected:
            if seq > expected:
                missing = (
                    f"entry {expected} is" if seq == expected + 1 else f"entries {expected} to {seq - 1} are"
                )
                return result(Break(expected, Problem.MISSING, f"{missing} missing: the next entry is {seq}"))
            if expected == start_seq:
                return result(Break(seq, Problem.INSERTED, f"entry {seq} precedes the start of the chain"))
            if seq == expected - 1:
                return result(Break(seq, Problem.INSERTED, f"two entries claim position {seq}"))
            return result(Break(seq, Problem.OUT_OF_ORDER, f"entry {seq} comes after entry {expected - 1}"))
        stored = str(entry.get("entry_hash") or "")
        stored_prev = str(entry.get("prev_hash") or "")
        intact = entry_hash(entry) == stored
        linked = stored_prev == prev
        if not intact:
            if before_prev is not None and stored_prev == before_prev:
                return result(
                    Break(
                        seq - 1,
                        Problem.INSERTED,
                        f"entry {seq - 1} is not part of the chain: the entry after it links past it",
                    )
                )
            if not linked and entry_hash({**entry, "prev_hash": prev}) == stored:
                return result(Break(seq, Problem.CHANGED, "its link to the entry before it was edited"))
            if linked:
                return result(Break(seq, Problem.CHANGED, "its contents no longer match its hash"))
            return result(
                Break(
                    seq,
                    Problem.OUT_OF_ORDER,
                    "it does not belong at this position: it was moved, or entries before it were removed"
                    " and the rest renumbered",
                )
            )
        if not linked:
            if seq == start_seq:
                return result(Break(seq, Problem.CHANGED, "it does not link to the start of the chain"))
            return result(
                Break(
                    seq - 1,
                    Problem.CHANGED,
                    f"entry {seq - 1} was rewritten: entry {seq} recorded a different hash for it",
                )
            )
        anchor = by_seq.get(seq)
        if anchor is not None and anchor.entry_hash != stored:
            return result(
                Break(
                    seq,
                    Problem.CHANGED,
                    f"it does not match the checkpoint taken at {anchor.taken_at or '(unknown time)'}:"
                    " the chain was rewritten at or before this entry",
                )
            )
        before_prev, prev = prev, stored
        expected += 1
        count += 1

    beyond = [c for c in by_seq.values() if c.seq > expected - 1]
    if beyond:
        furthest = max(beyond, key=lambda c: c.seq)
        return result(
            Break(
                expected,
                Problem.TRUNCATED,
                f"the chain ends at entry {expected - 1} but a checkpoint taken at"
                f" {furthest.taken_at or '(unknown time)'} recorded entry {furthest.seq}",
            )
        )
    return result(None)
