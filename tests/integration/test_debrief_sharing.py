"""What a child agreed to share flows back to their record once, however often the debrief is saved."""

from __future__ import annotations

import datetime
from typing import Any

from django.utils import timezone

from hafan.core.vocabulary import FactCategory
from hafan.debriefs.services import debrief_record
from hafan.episodes.services import episode_record_return
from hafan.people.models import Fact


def test_saving_a_held_debrief_twice_shares_each_place_once(
    report_missing: Any, coordinator: Any, debrief_worker: Any
) -> None:
    episode = report_missing()
    returned = timezone.now() - datetime.timedelta(minutes=30)
    episode = episode_record_return(
        episode=episode,
        recorded_by=coordinator,
        returned_at=returned,
        found_where="Home",
        found_by="carer",
        harm_suffered=False,
    )
    fields = {
        "worker": debrief_worker,
        "status": "held",
        "offered_at": returned + datetime.timedelta(minutes=5),
        "held_at": returned + datetime.timedelta(minutes=20),
        "share_basis": "consent",
        "places_to_share": "Skate park, Cwmbran\nNewport bus station",
        "indicators": ["cce"],
    }
    debrief_record(debrief=episode.debrief, **fields)
    debrief_record(debrief=episode.debrief, **fields)
    shared = Fact.objects.filter(debrief=episode.debrief)
    assert sorted(shared.filter(category=FactCategory.PLACE).values_list("summary", flat=True)) == [
        "Newport bus station",
        "Skate park, Cwmbran",
    ]
    assert shared.filter(category=FactCategory.EXPLOITATION).count() == 1
    # A new place added on the second save is shared.
    debrief_record(
        debrief=episode.debrief, **{**fields, "places_to_share": "Skate park, Cwmbran\nCaerphilly castle"}
    )
    assert shared.filter(category=FactCategory.PLACE).count() == 3
