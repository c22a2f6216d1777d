"""Secure defaults (issue 5, item 10): production settings pass `check --deploy`, every page says no-store, a
server error shows a generic page, and nothing sensitive goes into URLs or logs (docs/security.md).

The endpoint walk (test_endpoint_walk.py) checks the response headers of every page; this module checks the
settings themselves, the 500 page, the GET forms and the log lines.
"""

from __future__ import annotations

import base64
import datetime
import logging
import os
import re
import secrets
import subprocess
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from hafan.core.security import PathOnlyFilter, strip_query_strings
from hafan.core.vocabulary import FactCategory
from hafan.debriefs.models import Debrief
from hafan.episodes.models import Episode
from hafan.episodes.services import episode_record_return
from hafan.people.models import Child
from hafan.people.services import fact_add
from tests.conftest import PERSONA_PASSWORD

BASE_DIR = Path(settings.BASE_DIR)
TEMPLATES = BASE_DIR / "hafan" / "templates"

# Production, as docs/environment.md describes it, on the embedded SQLite database.
PRODUCTION = {
    "HAFAN_HTTPS": "1",
    "HAFAN_BEHIND_PROXY": "1",
    "ALLOWED_HOSTS": "hafan.example.org",
    "CSRF_TRUSTED_ORIGINS": "https://hafan.example.org",
    # Generated for the test, as production generates its own (docs/encryption.md).
    "HAFAN_FIELD_KEYS": "k2026:" + base64.b64encode(secrets.token_bytes(32)).decode(),
    "HAFAN_LOOKUP_KEY": base64.b64encode(secrets.token_bytes(32)).decode(),
}


def _hafan(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    """Runs `hafan <args>` in a fresh interpreter, with only the given Hafan variables set."""
    clean = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("HAFAN_", "DJANGO_", "SECURE_", "SESSION_"))
        and k not in {"DATABASE_URL", "SECRET_KEY", "ALLOWED_HOSTS", "CSRF_TRUSTED_ORIGINS", "DEBUG"}
    }
    return subprocess.run(  # noqa: S603 - our own interpreter and module, fixed arguments
        [sys.executable, "-m", "hafan.cli", *args],
        cwd=BASE_DIR,
        env={**clean, **env},
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )


# Production settings


def test_check_deploy_is_clean_under_production_settings() -> None:
    result = _hafan(
        "check",
        "--deploy",
        "--fail-level",
        "WARNING",
        env={**PRODUCTION, "SECRET_KEY": secrets.token_urlsafe(50)},
    )
    output = result.stdout + result.stderr
    assert result.returncode == 0, output
    assert "System check identified no issues" in output, output
    assert "WARNING" not in output and "security.W" not in output, output


def test_production_without_its_own_encryption_keys_fails_the_deploy_check() -> None:
    env = {k: v for k, v in PRODUCTION.items() if k not in {"HAFAN_FIELD_KEYS", "HAFAN_LOOKUP_KEY"}}
    result = _hafan(
        "check", "--deploy", "--fail-level", "WARNING", env={**env, "SECRET_KEY": secrets.token_urlsafe(50)}
    )
    assert result.returncode != 0
    assert "hafan.E001" in result.stdout + result.stderr


def test_production_settings_turn_on_https_hsts_secure_cookies_and_the_proxy_header() -> None:
    script = (
        "from django.conf import settings as s; "
        "print(s.SECURE_SSL_REDIRECT, s.SECURE_HSTS_SECONDS, s.SECURE_HSTS_INCLUDE_SUBDOMAINS, "
        "s.SECURE_HSTS_PRELOAD, s.SESSION_COOKIE_SECURE, s.CSRF_COOKIE_SECURE, s.SECURE_PROXY_SSL_HEADER)"
    )
    result = _hafan("shell", "-c", script, env={**PRODUCTION, "SECRET_KEY": secrets.token_urlsafe(50)})
    assert result.returncode == 0, result.stderr
    assert (
        result.stdout.split("\n")[-2]
        == "True 31536000 True True True True ('HTTP_X_FORWARDED_PROTO', 'https')"
    )


def test_https_without_a_real_secret_key_refuses_to_start() -> None:
    """The development defaults plus HAFAN_HTTPS=1 but no SECRET_KEY: the fallback key must not reach production."""
    result = _hafan("check", "--deploy", "--fail-level", "WARNING", env={"HAFAN_HTTPS": "1"})
    assert result.returncode != 0
    assert "SECRET_KEY" in result.stderr


def test_the_development_defaults_are_not_deployable() -> None:
    """Without HAFAN_HTTPS, check --deploy names what production would be missing (so the flag matters)."""
    result = _hafan(
        "check", "--deploy", "--fail-level", "WARNING", env={"SECRET_KEY": secrets.token_urlsafe(50)}
    )
    assert result.returncode != 0
    for warning in ("security.W004", "security.W008", "security.W012", "security.W016"):
        assert warning in result.stderr, result.stderr


def test_cookies_are_http_only_and_same_site_lax(client: Client, coordinator: Any) -> None:
    login = reverse("accounts:login")
    page = client.get(login)
    assert page.cookies["csrftoken"]["httponly"] is True
    assert page.cookies["csrftoken"]["samesite"] == "Lax"
    client.post(login, {"username": coordinator.username, "password": PERSONA_PASSWORD})
    session = client.cookies[settings.SESSION_COOKIE_NAME]
    assert session.value, "signing in set no session cookie"
    assert session["httponly"] is True
    assert session["samesite"] == "Lax"


# Caching


def test_pages_and_api_say_no_store_but_static_files_stay_cacheable(client: Client, coordinator: Any) -> None:
    client.force_login(coordinator)
    for path in (
        reverse("episodes:list"),
        "/cy" + reverse("episodes:list"),
        reverse("accounts:login"),
        "/api/v1/debriefs",
    ):
        response = client.get(path)
        assert "no-store" in response["Cache-Control"], path
        assert response["Pragma"] == "no-cache", path
    static = client.get(settings.STATIC_URL + "hafan/hafan.css")
    assert static.status_code == 200
    assert "no-store" not in static.get("Cache-Control", "")
    assert not static.has_header("Pragma")


# Server errors


@pytest.mark.parametrize("prefix", ["", "/cy"])
def test_a_server_error_shows_the_generic_page_without_details(
    client: Client, coordinator: Any, monkeypatch: pytest.MonkeyPatch, prefix: str
) -> None:
    def broken(*args: Any, **kwargs: Any) -> Any:
        raise RuntimeError('SELECT "people_child"."given_name" FROM "people_child" -- CANARY-500')

    monkeypatch.setattr("hafan.episodes.views.episodes_visible_to", broken)
    failing = type(client)(raise_request_exception=False)
    failing.force_login(coordinator)
    response = failing.get(prefix + reverse("episodes:list"))
    assert response.status_code == 500
    page = response.content.decode()
    heading = "Sorry, there is a problem with the service" if not prefix else "<h1"
    assert heading in page
    assert 'class="govuk-heading-l"' in page
    for leak in (
        "Traceback",
        "RuntimeError",
        "SELECT",
        "people_child",
        "CANARY-500",
        "episodes_visible_to",
        ".py",
    ):
        assert leak not in page, leak
    assert "no-store" in response["Cache-Control"]


# Nothing sensitive in URLs: GET forms put their fields in the address bar, browser history and server logs.

PERSONAL_FIELD = re.compile(
    r"(^|_)(name|given|family|surname|forename|dob|birth|born|nhs|upn|postcode|address|phone|email|q|search|query)"
    r"($|_)",
    re.IGNORECASE,
)
_FORM = re.compile(r"<form\b(?P<attrs>[^>]*)>(?P<body>.*?)</form>", re.IGNORECASE | re.DOTALL)
_GET = re.compile(r"""method\s*=\s*["']?get\b""", re.IGNORECASE)
_FIELD_NAMES = (
    re.compile(r"""\bname\s*=\s*["']([^"'{}]+)["']""", re.IGNORECASE),  # <input name="...">
    re.compile(r"\bfield\s*=\s*form\.(\w+)"),  # {% include "components/field.html" with field=form.x %}
    re.compile(r"\{\{\s*form\.(\w+)"),  # {{ form.x }}
)
_WHOLE_FORM = re.compile(r"\{\{\s*form\s*(\}\}|\|)|\{%\s*for\s+\w+\s+in\s+form\b")


def _get_forms() -> Iterator[tuple[str, str]]:
    for template in sorted(TEMPLATES.rglob("*.html")):
        text = template.read_text(encoding="utf-8")
        for form in _FORM.finditer(text):
            if _GET.search(form["attrs"]):
                yield str(template.relative_to(TEMPLATES)), form["body"]


def test_the_get_form_scanner_finds_the_known_filter_forms() -> None:
    """Guards the scanner below: it must see the episode and audit filters, and their field names."""
    found = dict(_get_forms())
    assert {"episodes/list.html", "sharing/audit.html"} <= found.keys()
    assert "status" in _field_names(found["episodes/list.html"])
    assert PERSONAL_FIELD.search("given_name") and PERSONAL_FIELD.search("nhs_number")
    assert not PERSONAL_FIELD.search("status") and not PERSONAL_FIELD.search("user")


def _field_names(body: str) -> set[str]:
    return {name for pattern in _FIELD_NAMES for name in pattern.findall(body)}


def test_get_forms_carry_no_personal_fields() -> None:
    problems = []
    for template, body in _get_forms():
        if _WHOLE_FORM.search(body):
            problems.append(f"{template}: renders a whole form in a GET form; list its fields one by one")
        for name in sorted(_field_names(body)):
            if PERSONAL_FIELD.search(name):
                problems.append(f"{template}: GET form field {name!r} would put personal data in the URL")
    assert not problems, "\n".join(problems)


# Nothing sensitive in logs


def test_the_filter_cuts_query_strings_from_runserver_and_request_lines() -> None:
    assert strip_query_strings('"GET /episodes/?name=Cerys+Jones&dob=2011 HTTP/1.1" 404 12') == (
        '"GET /episodes/ HTTP/1.1" 404 12'
    )
    record = logging.LogRecord(
        "django.server",
        logging.WARNING,
        __file__,
        1,
        '"%s" %s %s',
        ("GET /a/b?nhs=9434765919 HTTP/1.1", "404", "9"),
        None,
    )
    assert PathOnlyFilter().filter(record)
    assert record.getMessage() == '"GET /a/b HTTP/1.1" 404 9'


def test_the_filter_hides_a_feedback_link_token_but_not_the_staff_feedback_pages() -> None:
    token = "Zk3_q-9xY2bWmR7tLp0aVc4HnE8uJd6sKf1oGi5ZeQw"
    line = f'"GET /cy/feedback/{token}/ HTTP/1.1" 410 1234'
    assert strip_query_strings(line) == '"GET /cy/feedback/[token]/ HTTP/1.1" 410 1234'
    record = logging.LogRecord(
        "django.request", logging.WARNING, __file__, 1, "Gone: %s", (f"/feedback/{token}/",), None
    )
    assert PathOnlyFilter().filter(record)
    assert token not in record.getMessage()
    assert (
        strip_query_strings('"GET /feedback/results/ HTTP/1.1" 200 9')
        == '"GET /feedback/results/ HTTP/1.1" 200 9'
    )


class _Capture(logging.Handler):
    def __init__(self) -> None:
        super().__init__(level=logging.DEBUG)
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)

    def texts(self) -> list[str]:
        formatter = logging.Formatter()
        out = []
        for record in self.records:
            text = record.getMessage()
            if record.exc_info:
                text += "\n" + formatter.formatException(record.exc_info)
            out.append(text + " " + " ".join(f"{k}={v!r}" for k, v in vars(record).items() if k == "request"))
        return out


@pytest.fixture
def captured_logs() -> Iterator[_Capture]:
    capture = _Capture()
    loggers = [logging.getLogger(name) for name in ("", "django", "django.request", "django.server")]
    levels = [logger.level for logger in loggers]
    for logger in loggers:
        logger.addHandler(capture)
        logger.setLevel(logging.DEBUG)
    try:
        yield capture
    finally:
        for logger, level in zip(loggers, levels, strict=True):
            logger.removeHandler(capture)
            logger.setLevel(level)


def test_a_report_briefing_and_debrief_leave_no_personal_data_in_the_logs(
    client: Client,
    coordinator: Any,
    debrief_worker: Any,
    outsider: Any,
    partnership: dict[str, Any],
    captured_logs: _Capture,
) -> None:
    canary = f"CANARY-log-{secrets.token_hex(4)}"
    nhs_number = "943 476 5919"
    given, family = "Morwenna", "Trefor"
    now = timezone.localtime()
    report = {
        "given_name": given,
        "family_name": family,
        "date_of_birth": "2011-03-04",
        "sex": "female",
        "nhs_number": nhs_number,
        "upn": "",
        "address": f"12 Heol y Coed, {canary}",
        "postcode": "NP20 7AB",
        "council": str(partnership["NCC"].pk),
        "category": "missing_from_care",
        "reported_at": (now - datetime.timedelta(minutes=30)).strftime("%Y-%m-%dT%H:%M"),
        "reporter_name": "Foster carer",
        "reporter_organisation": "",
        "last_seen_at": (now - datetime.timedelta(hours=2)).strftime("%Y-%m-%dT%H:%M"),
        "last_seen_place": "Newport bus station",
        "circumstances": f"Left after an argument {canary}",
        "clothing": "Green parka",
    }
    coordinator_client = type(client)()
    coordinator_client.force_login(coordinator)
    reported = coordinator_client.post(reverse("episodes:report"), report)
    assert reported.status_code == 302, reported.content.decode()[:2000]
    episode = Episode.objects.get(child__family_name=family)
    child: Child = episode.child
    fact_add(
        child=child,
        agency=partnership["GWP"],
        category=FactCategory.WARNING_MARKER,
        summary=f"Associates with a county lines group {canary}",
        recorded_on=datetime.date(2026, 1, 5),
        source="Niche",
        actor=coordinator,
    )
    briefing = coordinator_client.get(reverse("episodes:detail", kwargs={"public_id": episode.public_id}))
    assert briefing.status_code == 200 and canary in briefing.content.decode()
    # Refused and mistyped requests, with personal data in the query string, are logged as 404s by path only.
    nobody = uuid.uuid4()
    query = f"?name={given}+{family}&nhs={nhs_number.replace(' ', '')}&note={canary}"
    assert (
        coordinator_client.get(reverse("episodes:detail", kwargs={"public_id": nobody}) + query).status_code
        == 404
    )
    outsider_client = type(client)()
    outsider_client.force_login(outsider)
    refused = outsider_client.get(reverse("episodes:detail", kwargs={"public_id": episode.public_id}) + query)
    assert refused.status_code == 404
    episode_record_return(
        episode=episode,
        recorded_by=coordinator,
        returned_at=timezone.now() - datetime.timedelta(minutes=10),
        found_where="Home",
        found_by="carer",
        harm_suffered=False,
    )
    debrief = Debrief.objects.get(episode=episode)
    debrief_client = type(client)()
    debrief_client.force_login(debrief_worker)
    held = timezone.localtime() - datetime.timedelta(minutes=5)
    recorded = debrief_client.post(
        reverse("debriefs:detail", kwargs={"public_id": debrief.public_id}),
        {
            "status": "held",
            "offered_at": held.strftime("%Y-%m-%dT%H:%M"),
            "held_at": held.strftime("%Y-%m-%dT%H:%M"),
            "where_went": f"A friend's flat {canary}",
            "who_with": f"Older boys {canary}",
            "child_wishes": f"{given} wants to stay with her carers",
            "share_basis": "consent",
            "places_to_share": f"Skate park {canary}",
        },
    )
    assert recorded.status_code in {200, 302}
    assert (
        debrief_client.get(
            reverse("debriefs:detail", kwargs={"public_id": debrief.public_id}) + query
        ).status_code
        == 200
    )

    texts = captured_logs.texts()
    not_found = [t for t in texts if t.startswith("Not Found: /")]
    assert len(not_found) >= 2, texts  # the capture works: both 404s were logged
    secrets_in_logs = [canary, nhs_number, nhs_number.replace(" ", ""), given, family]
    leaks = [(s, t) for t in texts for s in secrets_in_logs if s in t]
    assert not leaks, leaks
    assert not [t for t in texts if "?" in t and "/episodes/" in t], texts
