"""One member of staff per role: the demo's logins and the test suite's personas."""

from __future__ import annotations

from dataclasses import dataclass

from django.db import transaction

from hafan.accounts.models import User
from hafan.accounts.services import staff_create
from hafan.agencies.models import Agency
from hafan.core.vocabulary import Role


@dataclass(frozen=True)
class StaffSeed:
    username: str
    first_name: str
    last_name: str
    role: Role
    agency_code: str
    language: str = "en"


STAFF = [
    StaffSeed("coordinator", "Alun", "Price", Role.POLICE_COORDINATOR, "GWP"),
    StaffSeed("supervisor", "Bethan", "Morgan", Role.POLICE_SUPERVISOR, "GWP"),
    StaffSeed("socialworker", "Ceri", "Hughes", Role.SOCIAL_WORKER, "NCC", "cy"),
    StaffSeed("nurse", "Delyth", "Rees", Role.HEALTH_NURSE, "ABUHB"),
    StaffSeed("education", "Emyr", "Thomas", Role.EDUCATION_WORKER, "CCBC"),
    StaffSeed("debrief", "Ffion", "Evans", Role.DEBRIEF_WORKER, "LLAMAU", "cy"),
    StaffSeed("analyst", "Gareth", "Lloyd", Role.ANALYST, "GWP"),
    StaffSeed("auditor", "Heledd", "Owen", Role.IG_AUDITOR, "ABUHB"),
    StaffSeed("admin", "Ioan", "Parry", Role.ADMINISTRATOR, "GWP"),
    # From a force outside the partnership: must see nothing at all.
    StaffSeed("outsider", "Jac", "Davies", Role.POLICE_COORDINATOR, "DPP"),
]


@transaction.atomic
def demo_staff_seed(*, password: str) -> dict[str, User]:
    """Creates any missing staff from STAFF (idempotent) and returns them by username."""
    users: dict[str, User] = {}
    for seed in STAFF:
        existing = User.objects.filter(username=seed.username).first()
        users[seed.username] = existing or staff_create(
            username=seed.username,
            password=password,
            role=seed.role,
            agency=Agency.objects.get(code=seed.agency_code),
            first_name=seed.first_name,
            last_name=seed.last_name,
            language=seed.language,
            is_superuser=seed.role == Role.ADMINISTRATOR,
        )
    return users
