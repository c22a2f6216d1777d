"""The audit trail's hash chain under attack: every way of rewriting history is detected, clean chains never are.

These run on hafan.sharing.chain alone (plain dicts, no database); tests/integration/test_audit_verify.py does
the same through the real table and `hafan audit_verify`.
"""

from __future__ import annotations

import copy
import datetime
import uuid
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from hafan.sharing import chain
from hafan.sharing.chain import Checkpoint, Problem

UTC = datetime.UTC
PAYLOAD = [f for f in chain.HASHED_FIELDS if f not in {"seq", "prev_hash"}]

codes = st.text(alphabet="abcdefghijklmnopqrstuvwxyz_", min_size=1, max_size=12)
fields = st.fixed_dictionaries(
    {
        "at": st.datetimes(
            # hypothesis takes naive bounds and attaches the time zone itself
            min_value=datetime.datetime(2020, 1, 1),  # noqa: DTZ001
            max_value=datetime.datetime(2040, 1, 1),  # noqa: DTZ001
            timezones=st.just(UTC),
        ),
        "actor_id": st.none() | st.integers(min_value=1, max_value=10**9),
        "actor_username": st.text(max_size=20),
        "agency_code": st.sampled_from(["", "GWP", "NCC", "ABUHB", "LLAMAU"]),
        "role": codes,
        "action": st.sampled_from(["view", "create", "update", "denied", "export"]),
        "purpose": codes,
        "target_type": codes,
        "target_id": st.text(max_size=30),
        "child_public_id": st.none() | st.uuids(),
        "request_id": st.just("") | st.uuids().map(str),
        "detail": st.dictionaries(
            st.text(max_size=8),
            st.none()
            | st.booleans()
            | st.integers()
            | st.text(max_size=10)
            | st.lists(st.integers(), max_size=3),
            max_size=4,
        ),
    }
)


def build(payloads: list[dict[str, Any]]) -> list[dict[str, Any]]:
    entries: list[dict[str, Any]] = []
    prev = chain.GENESIS
    for index, payload in enumerate(payloads):
        # Every entry differs from every other, so swapping two of them is never a no-op.
        payload = {**payload, "target_id": f"{payload['target_id']}#{index}"}
        entry = chain.link(payload, seq=index + 1, prev_hash=prev)
        entries.append(entry)
        prev = entry["entry_hash"]
    return entries


chains = st.lists(fields, min_size=1, max_size=25).map(build)


def head_checkpoint(entries: list[dict[str, Any]]) -> Checkpoint:
    return Checkpoint(
        seq=entries[-1]["seq"], entry_hash=entries[-1]["entry_hash"], taken_at="2026-01-01T00:00Z"
    )


def altered(field: str, value: Any) -> Any:
    """A different value of the same kind."""
    if field in {"prev_hash", "entry_hash"}:
        return ("1" if value[0] != "1" else "2") + value[1:]
    if field == "seq":
        return value + 1000
    if field == "at":
        return value + datetime.timedelta(microseconds=1)
    if field == "actor_id":
        return 1 if value is None else value + 1
    if field == "child_public_id":
        return uuid.UUID(int=1) if value is None else uuid.UUID(int=(value.int + 1) % 2**128)
    if field == "detail":
        return {**value, "forged": True}
    return f"{value}x"


def rehash_from(entries: list[dict[str, Any]], start: int) -> None:
    """What an attacker who can write to the table does: recompute every hash from `start` on."""
    prev = entries[start - 1]["entry_hash"] if start else chain.GENESIS
    for index in range(start, len(entries)):
        entries[index] = chain.link(entries[index], seq=entries[index]["seq"], prev_hash=prev)
        prev = entries[index]["entry_hash"]


# The attacks


def edit_field(data: st.DataObject, entries: list[dict[str, Any]]) -> None:
    i = data.draw(st.integers(0, len(entries) - 1))
    field = data.draw(st.sampled_from(chain.FIELDS))
    entries[i][field] = altered(field, entries[i][field])


def edit_and_rehash_entry(data: st.DataObject, entries: list[dict[str, Any]]) -> None:
    """Edit one entry and recompute its own hash (but not the rest of the chain)."""
    i = data.draw(st.integers(0, len(entries) - 1))
    field = data.draw(st.sampled_from(PAYLOAD))
    entries[i][field] = altered(field, entries[i][field])
    entries[i]["entry_hash"] = chain.entry_hash(entries[i])


def rewrite_tail(data: st.DataObject, entries: list[dict[str, Any]]) -> None:
    """Edit one entry and recompute every hash after it: a chain consistent with itself."""
    i = data.draw(st.integers(0, len(entries) - 1))
    field = data.draw(st.sampled_from(PAYLOAD))
    entries[i][field] = altered(field, entries[i][field])
    rehash_from(entries, i)


def delete(data: st.DataObject, entries: list[dict[str, Any]]) -> None:
    del entries[data.draw(st.integers(0, len(entries) - 1))]


def delete_and_renumber(data: st.DataObject, entries: list[dict[str, Any]]) -> None:
    i = data.draw(st.integers(0, len(entries) - 1))
    del entries[i]
    for entry in entries[i:]:
        entry["seq"] -= 1


def insert_forged(data: st.DataObject, entries: list[dict[str, Any]]) -> None:
    """A forged entry with a correct hash of its own, linked to the entry before it, slipped in before an
    existing entry: as a duplicate position, with the later entries renumbered, or with them re-hashed too."""
    i = data.draw(st.integers(0, len(entries) - 1))
    payload = data.draw(fields)
    seq = entries[i]["seq"]
    prev = entries[i - 1]["entry_hash"] if i else chain.GENESIS
    entries.insert(i, chain.link(payload, seq=seq, prev_hash=prev))
    how = data.draw(st.sampled_from(["duplicate", "renumber", "rehash"]))
    if how != "duplicate":
        for entry in entries[i + 1 :]:
            entry["seq"] += 1
    if how == "rehash":
        rehash_from(entries, i + 1)


def swap(data: st.DataObject, entries: list[dict[str, Any]]) -> None:
    """Two entries change places: in the order read, or (as the database would show it, ordered by seq) by
    exchanging their positions' numbers, or by exchanging what they record."""
    if len(entries) < 2:
        entries.append(copy.deepcopy(entries[0]))  # a replayed entry: also an insertion
        return
    i, j = sorted(data.draw(st.lists(st.integers(0, len(entries) - 1), min_size=2, max_size=2, unique=True)))
    how = data.draw(st.sampled_from(["order", "numbers", "payload"]))
    if how == "order":
        entries[i], entries[j] = entries[j], entries[i]
    elif how == "numbers":
        entries[i], entries[j] = entries[j], entries[i]
        entries[i]["seq"], entries[j]["seq"] = entries[j]["seq"], entries[i]["seq"]
    else:
        for field in PAYLOAD:
            entries[i][field], entries[j][field] = entries[j][field], entries[i][field]


def truncate(data: st.DataObject, entries: list[dict[str, Any]]) -> None:
    k = data.draw(st.integers(1, len(entries)))
    del entries[len(entries) - k :]


ATTACKS = [
    edit_field,
    edit_and_rehash_entry,
    rewrite_tail,
    delete,
    delete_and_renumber,
    insert_forged,
    swap,
    truncate,
]


@settings(max_examples=500, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(original=chains, attack=st.sampled_from(ATTACKS), data=st.data())
def test_every_attack_is_detected(original: list[dict[str, Any]], attack: Any, data: st.DataObject) -> None:
    checkpoint = head_checkpoint(original)  # hafan audit_checkpoint ran before the attack
    entries = copy.deepcopy(original)
    attack(data, entries)
    assert entries != original
    result = chain.verify(entries, checkpoints=[checkpoint])
    assert not result.ok, f"{attack.__name__} went unnoticed"
    assert result.broken is not None
    assert 0 <= result.broken.seq <= len(original) + 1


@settings(max_examples=300, deadline=None)
@given(entries=chains, data=st.data())
def test_clean_chains_never_raise_an_alarm(entries: list[dict[str, Any]], data: st.DataObject) -> None:
    taken = data.draw(st.lists(st.integers(0, len(entries) - 1), max_size=5))
    checkpoints = [Checkpoint(seq=entries[i]["seq"], entry_hash=entries[i]["entry_hash"]) for i in taken]
    result = chain.verify(iter(entries), checkpoints=checkpoints)
    assert result.ok
    assert (result.entries, result.head_seq, result.head_hash) == (
        len(entries),
        len(entries),
        entries[-1]["entry_hash"],
    )
    # Continuing from any checkpoint gives the same head.
    for i in taken:
        rest = chain.verify(entries[i + 1 :], start_seq=i + 2, start_prev_hash=entries[i]["entry_hash"])
        assert rest.ok
        assert rest.head_hash == entries[-1]["entry_hash"]


# What the report says, for the attacks whose nature is unambiguous


@settings(max_examples=100, deadline=None)
@given(entries=chains.filter(lambda e: len(e) >= 2), data=st.data())
def test_a_removed_entry_is_reported_missing(entries: list[dict[str, Any]], data: st.DataObject) -> None:
    i = data.draw(st.integers(0, len(entries) - 2))
    del entries[i]
    broken = chain.verify(entries).broken
    assert broken is not None
    assert (broken.seq, broken.problem) == (i + 1, Problem.MISSING)


@settings(max_examples=100, deadline=None)
@given(entries=chains, data=st.data())
def test_an_edited_entry_is_reported_changed(entries: list[dict[str, Any]], data: st.DataObject) -> None:
    i = data.draw(st.integers(0, len(entries) - 1))
    field = data.draw(st.sampled_from([*PAYLOAD, "prev_hash"]))
    entries[i][field] = altered(field, entries[i][field])
    broken = chain.verify(entries).broken
    assert broken is not None
    assert (broken.seq, broken.problem) == (i + 1, Problem.CHANGED)


@settings(max_examples=100, deadline=None)
@given(entries=chains, forged=fields, data=st.data())
def test_a_forged_entry_slipped_in_is_reported_inserted(
    entries: list[dict[str, Any]], forged: dict[str, Any], data: st.DataObject
) -> None:
    i = data.draw(st.integers(0, len(entries) - 1))
    prev = entries[i - 1]["entry_hash"] if i else chain.GENESIS
    entries.insert(i, chain.link(forged, seq=i + 1, prev_hash=prev))
    for entry in entries[i + 1 :]:
        entry["seq"] += 1
    broken = chain.verify(entries).broken
    assert broken is not None
    assert (broken.seq, broken.problem) == (i + 1, Problem.INSERTED)


@settings(max_examples=100, deadline=None)
@given(entries=chains.filter(lambda e: len(e) >= 2), data=st.data())
def test_renumbered_entries_are_reported_out_of_order(
    entries: list[dict[str, Any]], data: st.DataObject
) -> None:
    i = data.draw(st.integers(0, len(entries) - 2))
    entries[i], entries[i + 1] = entries[i + 1], entries[i]
    entries[i]["seq"], entries[i + 1]["seq"] = entries[i + 1]["seq"], entries[i]["seq"]
    broken = chain.verify(entries).broken
    assert broken is not None
    assert (broken.seq, broken.problem) == (i + 1, Problem.OUT_OF_ORDER)


@given(entries=chains, data=st.data())
def test_a_shortened_chain_is_reported_truncated_against_a_checkpoint(
    entries: list[dict[str, Any]], data: st.DataObject
) -> None:
    checkpoint = head_checkpoint(entries)
    k = data.draw(st.integers(1, len(entries)))
    shortened = entries[: len(entries) - k]
    assert chain.verify(shortened).ok  # without the checkpoint, nothing shows
    broken = chain.verify(shortened, checkpoints=[checkpoint]).broken
    assert broken is not None
    assert (broken.seq, broken.problem) == (len(shortened) + 1, Problem.TRUNCATED)


def test_a_rewritten_chain_only_shows_against_a_checkpoint() -> None:
    entries = _fixed_chain(6)
    checkpoint = Checkpoint(
        seq=4, entry_hash=entries[3]["entry_hash"], taken_at="2026-03-01T09:00:00.000000Z"
    )
    entries[1]["actor_username"] = "someone-else"
    rehash_from(entries, 1)
    assert chain.verify(entries).ok
    broken = chain.verify(entries, checkpoints=[checkpoint]).broken
    assert broken is not None
    assert (broken.seq, broken.problem) == (4, Problem.CHANGED)
    assert "2026-03-01T09:00:00.000000Z" in broken.explanation


def test_an_entry_numbered_before_the_start_is_reported() -> None:
    entries = _fixed_chain(3)
    forged = chain.link(entries[0], seq=0, prev_hash=chain.GENESIS)
    broken = chain.verify([forged, *entries]).broken
    assert broken is not None
    assert (broken.seq, broken.problem) == (0, Problem.INSERTED)


def _fixed_chain(n: int) -> list[dict[str, Any]]:
    start = datetime.datetime(2026, 3, 1, 9, 0, tzinfo=UTC)
    return build(
        [
            {
                "at": start + datetime.timedelta(seconds=i),
                "actor_id": 7,
                "actor_username": "coordinator",
                "agency_code": "GWP",
                "role": "police_coordinator",
                "action": "view",
                "purpose": "missing_episode",
                "target_type": "episode",
                "target_id": "e",
                "child_public_id": uuid.UUID(int=i + 1),
                "request_id": "",
                "detail": {},
            }
            for i in range(n)
        ]
    )


# The serialisation


def test_the_hash_does_not_depend_on_how_the_database_hands_values_back() -> None:
    base = _fixed_chain(1)[0]
    london = datetime.timezone(datetime.timedelta(hours=1))
    variant = {
        **base,
        "at": base["at"].astimezone(london),
        "child_public_id": str(base["child_public_id"]).upper(),
        "detail": {"n": 2.0, "ids": (1, 2), 3: "x"},
    }
    base = {**base, "detail": {"n": 2, "ids": [1, 2], "3": "x"}}
    assert chain.entry_hash(variant) == chain.entry_hash(base)


def test_the_serialisation_is_compact_sorted_json_with_utc_microseconds() -> None:
    entry = _fixed_chain(1)[0]
    text = chain.canonical(entry).decode()
    assert text.startswith(
        '{"action":"view","actor_id":7,"actor_username":"coordinator","agency_code":"GWP",'
    )
    assert '"at":"2026-03-01T09:00:00.000000Z"' in text
    assert " " not in text
    assert "entry_hash" not in text


def test_naive_times_are_refused() -> None:
    entry = {**_fixed_chain(1)[0], "at": datetime.datetime(2026, 1, 1)}  # noqa: DTZ001
    with pytest.raises(ValueError, match="timezone-aware"):
        chain.entry_hash(entry)


# Checkpoint files


def test_checkpoint_lines_round_trip() -> None:
    at = datetime.datetime(2026, 3, 1, 9, 30, tzinfo=UTC)
    line = chain.checkpoint_line(taken_at=at, seq=42, head_hash="a" * 64)
    assert line == f"2026-03-01T09:30:00.000000Z 42 {'a' * 64}\n"
    parsed = chain.parse_checkpoints(["# comment", "", line])
    assert parsed == [Checkpoint(seq=42, entry_hash="a" * 64, taken_at="2026-03-01T09:30:00.000000Z", line=3)]


@pytest.mark.parametrize(
    "line",
    [
        "2026-03-01T09:30:00Z 42",
        f"2026-03-01T09:30:00Z forty-two {'a' * 64}",
        f"2026-03-01T09:30:00Z 42 {'a' * 63}",
        f"2026-03-01T09:30:00Z 42 {'A' * 64}",
        f"2026-03-01T09:30:00Z -1 {'a' * 64}",
    ],
)
def test_malformed_checkpoint_lines_are_refused(line: str) -> None:
    with pytest.raises(chain.CheckpointFormatError, match="line 1"):
        chain.parse_checkpoints([line])
