"""Episode references are unique even when two reports pick the same next number at once."""

from __future__ import annotations

from typing import Any

import pytest

from hafan.episodes import services
from hafan.people.services import PersonDetails


def test_a_reference_taken_meanwhile_moves_to_the_next_number(
    report_missing: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    first = report_missing()
    real = services._next_reference
    calls: list[str] = []

    def racing(reported_at: Any) -> str:
        # The first call answers as if another report had not committed yet: it offers the taken number.
        reference = first.reference if not calls else real(reported_at)
        calls.append(reference)
        return reference

    monkeypatch.setattr(services, "_next_reference", racing)
    second = report_missing(child_details=PersonDetails(given_name="Osian", family_name="Price"))
    assert calls[0] == first.reference
    assert second.reference != first.reference
    assert second.reference.endswith("000002")
    assert second.child.given_name == "Osian"
