"""Form payloads shared by the page tests, as a browser would post them."""

from __future__ import annotations

import datetime
from typing import Any

from django.utils import timezone


def local_input(value: datetime.datetime) -> str:
    """The value a datetime-local input posts, in the hub's time zone."""
    return timezone.localtime(value).strftime("%Y-%m-%dT%H:%M")


def report_form_data(**overrides: Any) -> dict[str, str]:
    """A complete, valid "Report a missing child" form; keyword arguments replace fields."""
    now = timezone.now()
    data = {
        "given_name": "Cerys",
        "family_name": "Jones",
        "date_of_birth": "2011-03-04",
        "sex": "female",
        "nhs_number": "",
        "upn": "",
        "address": "",
        "postcode": "",
        "category": "missing_from_care",
        "reported_at": local_input(now),
        "reporter_name": "Mair Lewis (foster carer)",
        "reporter_organisation": "",
        "last_seen_at": local_input(now - datetime.timedelta(hours=3)),
        "last_seen_place": "Newport Market",
        "circumstances": "Did not come home from school.",
        "clothing": "Green parka",
        "council": "",
    }
    data.update({k: str(v) for k, v in overrides.items()})
    return data
