"""Named personas, one per role in the hub, plus an outsider who must see nothing.

Data is set up through the real services (hafan.*.services), never raw ORM writes.
"""

from __future__ import annotations

import datetime
from collections.abc import Callable
from typing import Any

import pytest
from django.conf import settings
from django.test import Client
from django.utils import timezone, translation

from hafan.accounts.demo_staff import demo_staff_seed
from hafan.agencies.models import Agency
from hafan.agencies.services import partnership_seed
from hafan.episodes.models import Episode
from hafan.episodes.services import episode_report
from hafan.people.services import PersonDetails
from hafan.referrals.directory import service_directory_seed

PERSONA_PASSWORD = "persona-password-for-tests-only"


@pytest.fixture(autouse=True)
def _english_between_tests() -> Any:
    """A request to a /cy/ page activates Welsh for the thread; don't let it leak into the next test."""
    yield
    translation.activate(settings.LANGUAGE_CODE)


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings: Any) -> None:
    """Production hashing is deliberately slow; ten personas per test would dominate the suite's time."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def partnership(db: Any) -> dict[str, Agency]:
    agencies = partnership_seed()
    service_directory_seed()
    return {a.code: a for a in agencies}


@pytest.fixture
def staff(partnership: dict[str, Agency]) -> dict[str, Any]:
    return demo_staff_seed(password=PERSONA_PASSWORD)


@pytest.fixture
def coordinator(staff: dict[str, Any]) -> Any:
    return staff["coordinator"]


@pytest.fixture
def supervisor(staff: dict[str, Any]) -> Any:
    return staff["supervisor"]


@pytest.fixture
def social_worker(staff: dict[str, Any]) -> Any:
    return staff["socialworker"]


@pytest.fixture
def nurse(staff: dict[str, Any]) -> Any:
    return staff["nurse"]


@pytest.fixture
def education_worker(staff: dict[str, Any]) -> Any:
    return staff["education"]


@pytest.fixture
def debrief_worker(staff: dict[str, Any]) -> Any:
    return staff["debrief"]


@pytest.fixture
def analyst(staff: dict[str, Any]) -> Any:
    return staff["analyst"]


@pytest.fixture
def auditor(staff: dict[str, Any]) -> Any:
    return staff["auditor"]


@pytest.fixture
def administrator(staff: dict[str, Any]) -> Any:
    return staff["admin"]


@pytest.fixture
def outsider(staff: dict[str, Any]) -> Any:
    return staff["outsider"]


@pytest.fixture
def report_missing(coordinator: Any, partnership: dict[str, Agency]) -> Callable[..., Episode]:
    """Reports a child missing through the real service; keyword arguments override the defaults."""

    def _report(**overrides: Any) -> Episode:
        now = timezone.now()
        details = overrides.pop(
            "child_details",
            PersonDetails(
                given_name="Cerys", family_name="Jones", date_of_birth=datetime.date(2011, 3, 4), sex="female"
            ),
        )
        kwargs: dict[str, Any] = {
            "reported_by": coordinator,
            "child_details": details,
            "category": "missing_from_home",
            "reported_at": now - datetime.timedelta(hours=1),
            "reporter_name": "Sian Jones (mother)",
            "reporter_organisation": "",
            "last_seen_at": now - datetime.timedelta(hours=4),
            "last_seen_place": "Outside Newport bus station",
            "circumstances": "Left after an argument.",
            "clothing": "Black hoodie, grey joggers",
            "council": partnership["NCC"],
        }
        kwargs.update(overrides)
        return episode_report(**kwargs)

    return _report


# --- audit chain (part B)
@pytest.fixture(scope="session")
def django_db_setup(django_db_setup: Any, django_db_blocker: Any) -> None:
    """On PostgreSQL the audit table refuses TRUNCATE (sharing migration 0006), but Django empties the test
    database with one TRUNCATE of every table after each transactional test, so the test database lets it
    through. tests/integration/test_audit_verify.py switches the refusal back on inside its own test."""
    from django.db import connection

    with django_db_blocker.unblock():
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute(
                    "ALTER TABLE sharing_auditevent DISABLE TRIGGER sharing_auditevent_no_truncate"
                )


# --- staff accounts (part A): every page needs two-factor (hafan.accounts.middleware), so the test client's
# force_login also completes it, the way the two-factor page does.
class TwoFactorClient(Client):
    """A test client whose force_login leaves a fully signed-in session: the password step through Django's
    login() (as force_login always did), then the second factor recorded exactly as django_otp.login does,
    with a confirmed authenticator made for the user if they have none. The middleware is not relaxed."""

    def force_login(self, user: Any, backend: str | None = None) -> None:
        from django_otp import DEVICE_ID_SESSION_KEY

        from hafan.accounts.services import totp_device_confirmed, totp_device_provision

        super().force_login(user, backend)
        device = totp_device_confirmed(user=user) or totp_device_provision(user=user, name="test")
        session = self.session
        session[DEVICE_ID_SESSION_KEY] = device.persistent_id
        session.save()


@pytest.fixture
def client() -> TwoFactorClient:
    return TwoFactorClient()
