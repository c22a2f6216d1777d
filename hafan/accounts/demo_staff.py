"""One member of staff per role: the demo's logins and the test suite's personas."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

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
    hub_member: bool = True


STAFF = [
    StaffSeed("coordinator", "Alun", "Price", Role.POLICE_COORDINATOR, "GWP"),
    StaffSeed("supervisor", "Bethan", "Morgan", Role.POLICE_SUPERVISOR, "GWP"),
    StaffSeed("socialworker", "Ceri", "Hughes", Role.SOCIAL_WORKER, "NCC", "cy"),
    StaffSeed("nurse", "Delyth", "Rees", Role.HEALTH_NURSE, "ABUHB"),
    StaffSeed("education", "Emyr", "Thomas", Role.EDUCATION_WORKER, "CCBC"),
    StaffSeed("debrief", "Ffion", "Evans", Role.DEBRIEF_WORKER, "LLAMAU", "cy", hub_member=False),
    StaffSeed("analyst", "Gareth", "Lloyd", Role.ANALYST, "GWP"),
    StaffSeed("auditor", "Heledd", "Owen", Role.IG_AUDITOR, "ABUHB"),
    StaffSeed("admin", "Ioan", "Parry", Role.ADMINISTRATOR, "GWP"),
    # From a force outside the partnership: must see nothing at all.
    StaffSeed("outsider", "Jac", "Davies", Role.POLICE_COORDINATOR, "DPP"),
    # A Caerphilly social worker outside the hub team: sees only the children allocated to them.
    StaffSeed("caseworker", "Nia", "Bowen", Role.SOCIAL_WORKER, "CCBC", hub_member=False),
]


# The demo only (not test personas): a hub social worker for each council that has none above, so that every
# council's children can have a response plan agreed (issue 6) and every council hears of an out-of-area return.
DEMO_COUNCIL_STAFF = [
    StaffSeed("sw-blaenaugwent", "Gwenllian", "Jenkins", Role.SOCIAL_WORKER, "BGCBC"),
    StaffSeed("sw-caerphilly", "Dafydd", "Lewis", Role.SOCIAL_WORKER, "CCBC"),
    StaffSeed("sw-monmouthshire", "Rhodri", "Powell", Role.SOCIAL_WORKER, "MCC", "cy"),
    StaffSeed("sw-torfaen", "Sioned", "Watkins", Role.SOCIAL_WORKER, "TCBC"),
]


@transaction.atomic
def demo_staff_seed(*, password: str, seeds: list[StaffSeed] | None = None) -> dict[str, User]:
    """Creates any missing staff from `seeds` (default STAFF; idempotent) and returns them by username."""
    users: dict[str, User] = {}
    for seed in STAFF if seeds is None else seeds:
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
            hub_member=seed.hub_member,
        )
    return users


DEMO_DEVICE_NAME = "demo"


def demo_two_factor_seed() -> int:
    """Gives each demo login without an authenticator a device named "demo", whose current code
    `hafan demo_code USERNAME` prints (docs/accounts.md). Returns how many were made."""
    from hafan.accounts.services import totp_device_confirmed, totp_device_provision

    made = 0
    for user in User.objects.filter(username__in=[seed.username for seed in STAFF + DEMO_COUNCIL_STAFF]):
        if totp_device_confirmed(user=user) is None:
            totp_device_provision(user=user, name=DEMO_DEVICE_NAME)
            made += 1
    return made


def usable_code(device: Any) -> str | None:
    """The code `device` would accept now: this time step's, or the next one's if this step's has been
    used (one step either side is allowed, and a code only once). None if both have been used."""
    from django_otp.oath import TOTP, hotp

    now_t = TOTP(device.bin_key, device.step, device.t0, device.digits, device.drift).t()
    t = max(now_t, device.last_t + 1)
    if t > now_t + device.tolerance:
        return None
    return str(hotp(device.bin_key, t, digits=device.digits)).zfill(device.digits)
