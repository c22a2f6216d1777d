"""Staff accounts (issue 5, item 7; docs/accounts.md): two-factor sign-in, lockout, no user enumeration,
idle and absolute timeouts, disabling a user, and the sign-in audit trail.

These tests sign in through the real pages with a plain Client (never the TwoFactorClient shortcut), so
they exercise the password form, the two-factor page and the middleware exactly as a browser does.
"""

from __future__ import annotations

import base64
import datetime
import io
import json
import re
import statistics
import time
import uuid
from typing import Any

import pytest
import time_machine
from axes.models import AccessAttempt
from django.contrib.auth.hashers import PBKDF2PasswordHasher, make_password
from django.contrib.sessions.models import Session
from django.core.management import CommandError, call_command
from django.test import Client
from django.urls import NoReverseMatch, URLPattern, URLResolver, get_resolver, reverse
from django.urls.converters import IntConverter, PathConverter, StringConverter, UUIDConverter
from django_otp.oath import hotp

from hafan.accounts.demo_staff import DEMO_DEVICE_NAME, demo_two_factor_seed, usable_code
from hafan.accounts.middleware import TWO_FACTOR_EXEMPT
from hafan.accounts.models import ApiToken, DisableReason, StaffSession
from hafan.accounts.services import (
    api_token_issue,
    recovery_codes_replace,
    recovery_device,
    staff_disable,
    totp_device_confirmed,
    totp_device_provision,
)
from hafan.sharing.models import AuditAction, AuditEvent
from tests.conftest import PERSONA_PASSWORD, TwoFactorClient

LOGIN = "/accounts/login/"
TWO_FACTOR = "/accounts/two-factor/"
HOME = "/"
START = datetime.datetime(2026, 3, 2, 9, 0, tzinfo=datetime.UTC)


# Signing in through the pages


def _password(client: Client, username: str, password: str = PERSONA_PASSWORD) -> Any:
    return client.post(LOGIN, {"username": username, "password": password})


def _code_now(user: Any) -> str:
    device = totp_device_confirmed(user=user)
    assert device is not None
    code = usable_code(device)
    assert code is not None
    return code


def _wrong(code: str) -> str:
    return f"{(int(code) + 1) % 1_000_000:06d}"


def _sign_in(client: Client, user: Any) -> None:
    response = _password(client, user.username)
    assert response.status_code == 302 and response["Location"].startswith(TWO_FACTOR)
    response = client.post(TWO_FACTOR, {"code": _code_now(user)})
    assert response.status_code == 302, response.content.decode()[:2000]


def _signed_in(client: Client) -> bool:
    response = client.get(HOME)
    return response.status_code == 200


@pytest.fixture
def enrolled(coordinator: Any) -> Any:
    """The coordinator with an authenticator app set up (through the service the demo and tests use)."""
    totp_device_provision(user=coordinator, name="test")
    return coordinator


# 1. Two-factor is required


def _every_page_path() -> list[tuple[str, str]]:
    """(URL name, path) for every named URL pattern outside the API: reversed without arguments where it
    takes none, and with made-up values of the right type where it does (the middleware must answer before
    any view looks at them)."""
    values = {UUIDConverter: str(uuid.uuid4()), IntConverter: "1", StringConverter: "x", PathConverter: "1"}
    found: list[tuple[str, str]] = []

    def walk(patterns: list[Any], namespace: str | None) -> None:
        for pattern in patterns:
            if isinstance(pattern, URLResolver):
                inner = pattern.namespace
                walk(
                    pattern.url_patterns,
                    f"{namespace}:{inner}" if namespace and inner else inner or namespace,
                )
            elif isinstance(pattern, URLPattern) and pattern.name:
                name = f"{namespace}:{pattern.name}" if namespace else pattern.name
                converters = getattr(pattern.pattern, "converters", {})
                kwargs = {key: values[type(conv)] for key, conv in converters.items() if type(conv) in values}
                if name == "admin:app_list":
                    kwargs = {"app_label": "accounts"}
                try:
                    path = reverse(name, kwargs=kwargs or None)
                except NoReverseMatch:  # patterns that take only a raw regex catch-all (the admin's)
                    continue
                if not path.startswith("/api/"):
                    found.append((name, path))

    walk(get_resolver().url_patterns, None)
    return found


def test_a_password_alone_reaches_no_page(enrolled: Any) -> None:
    client = Client()
    response = _password(client, enrolled.username)
    assert response.status_code == 302
    assert response["Location"] == TWO_FACTOR

    paths = _every_page_path()
    welsh = [(name, f"/cy{path}") for name, path in paths if not path.startswith(("/admin/", "/i18n/"))]
    checked = 0
    for name, path in [*paths, *welsh]:
        if name in TWO_FACTOR_EXEMPT:
            continue
        response = client.get(path)
        assert response.status_code == 302, f"{name} ({path}) answered {response.status_code}"
        location = response["Location"]
        if name == "admin:login":
            assert location.startswith(LOGIN), location
        else:
            expected = "/cy/accounts/two-factor/" if path.startswith("/cy/") else TWO_FACTOR
            assert location.startswith(expected + "?next="), f"{name}: {location}"
        checked += 1
    assert checked > 100  # every page of the project in both languages, not a handful
    # POSTs and HTMX requests too: the HTMX one is told to navigate rather than swap in a page.
    assert client.post("/episodes/report/", {}).status_code == 302
    htmx = client.get("/episodes/", headers={"HX-Request": "true"})
    assert htmx.status_code == 204 and htmx["HX-Redirect"].startswith(TWO_FACTOR)
    # The exempt pages do open, in both languages, and the language switch works.
    assert client.get(TWO_FACTOR).status_code == 200
    welsh_page = client.get("/cy/accounts/two-factor/")
    assert welsh_page.status_code == 200 and b'lang="cy"' in welsh_page.content
    assert client.post(reverse("set_language"), {"language": "cy", "next": "/"}).status_code == 302


def test_the_api_still_authenticates_by_token_not_session(enrolled: Any, coordinator: Any) -> None:
    client = Client()
    _password(client, enrolled.username)
    assert client.get("/api/v1/debriefs").status_code == 401  # a session is never enough for the API
    token = api_token_issue(user=coordinator, name="Niche RMS")
    assert Client(HTTP_AUTHORIZATION=f"Bearer {token}").get("/api/v1/openapi.json").status_code == 200


def test_the_code_completes_sign_in_and_the_session_key_changes_at_each_step(enrolled: Any) -> None:
    client = Client()
    anonymous_key = client.session.session_key
    assert client.get(LOGIN).status_code == 200
    _password(client, enrolled.username)
    half_key = client.cookies["sessionid"].value
    assert half_key != anonymous_key
    response = client.post(
        TWO_FACTOR + "?next=/episodes/", {"code": _code_now(enrolled), "next": "/episodes/"}
    )
    assert response.status_code == 302 and response["Location"] == "/episodes/"
    full_key = client.cookies["sessionid"].value
    assert full_key not in (half_key, anonymous_key)
    assert _signed_in(client)
    # The half-authenticated key is dead: a copy of that cookie is not signed in at all.
    stale = Client()
    stale.cookies["sessionid"] = half_key
    assert stale.get(HOME)["Location"].startswith(LOGIN)
    # The session is tracked under its new key, so disabling the user can end it.
    assert StaffSession.objects.filter(user=enrolled, session_key=full_key).exists()
    assert not StaffSession.objects.filter(session_key=half_key).exists()


def test_a_code_is_accepted_once(enrolled: Any) -> None:
    first = Client()
    _password(first, enrolled.username)
    code = _code_now(enrolled)
    assert first.post(TWO_FACTOR, {"code": code}).status_code == 302

    replay = Client()
    _password(replay, enrolled.username)
    response = replay.post(TWO_FACTOR, {"code": code})
    assert response.status_code == 200
    assert b"The code is not right" in response.content
    assert not _signed_in(replay)


def test_a_recovery_code_works_once(enrolled: Any) -> None:
    codes = recovery_codes_replace(user=enrolled, replaced_by=enrolled)
    assert len(codes) == 10 and len(set(codes)) == 10

    client = Client()
    _password(client, enrolled.username)
    assert client.post(TWO_FACTOR, {"code": codes[0].upper()}).status_code == 302
    assert _signed_in(client)
    device = recovery_device(user=enrolled)
    assert device is not None and device.token_set.count() == 9

    again = Client()
    _password(again, enrolled.username)
    assert again.post(TWO_FACTOR, {"code": codes[0]}).status_code == 200
    assert not _signed_in(again)
    assert (
        AuditEvent.objects.filter(
            action=AuditAction.SIGN_IN, target_id=enrolled.username, detail__method="recovery_code"
        ).count()
        == 1
    )


def test_setting_up_the_app_at_first_sign_in(coordinator: Any) -> None:
    client = Client()
    response = _password(client, coordinator.username)
    assert client.get(response["Location"])["Location"] == "/accounts/two-factor/setup/"
    page = client.get("/accounts/two-factor/setup/")
    html = page.content.decode()
    assert 'src="data:image/svg+xml;base64,' in html
    svg = base64.b64decode(re.search(r'src="data:image/svg\+xml;base64,([^"]+)"', html).group(1))  # type: ignore[union-attr]
    assert svg.lstrip().startswith((b"<?xml", b"<svg"))
    # Typed into an app by hand, as a person without a camera would.
    secret = re.search(r'data-testid="secret"><code>([A-Z2-7 ]+)</code>', html).group(1).replace(" ", "")  # type: ignore[union-attr]
    reload = client.get("/accounts/two-factor/setup/").content.decode()
    assert (
        re.search(r'data-testid="secret"><code>([A-Z2-7 ]+)</code>', reload).group(1).replace(" ", "")
        == secret
    )  # type: ignore[union-attr]
    key = base64.b32decode(secret)

    wrong = client.post("/accounts/two-factor/setup/", {"code": "123"})
    assert wrong.status_code == 200 and b"The code is not right" in wrong.content
    step = int(time.time()) // 30
    response = client.post("/accounts/two-factor/setup/", {"code": f"{hotp(key, step):06d}"})
    assert response.status_code == 302 and response["Location"] == "/accounts/two-factor/recovery-codes/"

    shown = client.get("/accounts/two-factor/recovery-codes/")
    codes = re.findall(r"<li><code>([a-z2-7]{8})</code></li>", shown.content.decode())
    assert len(codes) == 10
    again = client.get("/accounts/two-factor/recovery-codes/")
    assert b'data-testid="codes-already-shown"' in again.content
    assert not any(code.encode() in again.content for code in codes)
    assert _signed_in(client)
    assert AuditEvent.objects.filter(
        action=AuditAction.SIGN_IN, target_id=coordinator.username, detail__method="totp_setup"
    ).exists()


def test_five_wrong_codes_sign_the_session_out(enrolled: Any) -> None:
    client = Client()
    _password(client, enrolled.username)
    wrong = _wrong(_code_now(enrolled))
    for left in (4, 3, 2, 1):
        response = client.post(TWO_FACTOR, {"code": wrong})
        assert response.status_code == 200
        assert f"You can try {left} more time".encode() in response.content
    response = client.post(TWO_FACTOR, {"code": wrong})
    assert response.status_code == 302 and response["Location"] == LOGIN
    assert b"too many wrong codes" in client.get(LOGIN).content
    # Gone for good: even the right code now needs the password first.
    assert client.post(TWO_FACTOR, {"code": _code_now(enrolled)})["Location"].startswith(LOGIN)
    failures = AuditEvent.objects.filter(action=AuditAction.SIGN_IN_FAILED, detail__stage="two_factor")
    assert failures.count() == 5 and {e.target_id for e in failures} == {enrolled.username}
    assert AuditEvent.objects.filter(
        action=AuditAction.SIGN_OUT, target_id=enrolled.username, detail__reason="two_factor_failures"
    ).exists()


# 2. Lockout and no user enumeration


def _without_csrf(content: bytes) -> bytes:
    """The page less what differs on every response anyway: the CSRF token and the CSP nonce."""
    content = re.sub(rb'name="csrfmiddlewaretoken" value="[^"]+"', b"", content)
    content = re.sub(rb'"X-CSRFToken": "[^"]+"', b"", content)
    return re.sub(rb'nonce="[^"]+"', b"", content)


def test_ten_failures_lock_the_username_at_that_address_for_the_cool_off(enrolled: Any) -> None:
    with time_machine.travel(START, tick=False) as traveller:
        client = Client()
        for _ in range(9):
            assert _password(client, enrolled.username, "wrong-password").status_code == 200
        locked = _password(client, enrolled.username, "wrong-password")
        assert locked.status_code == 429
        assert b"Signing in is paused" in locked.content
        # The right password does not help while the lockout lasts.
        assert _password(client, enrolled.username).status_code == 429
        # Another username from the same address is not locked (username + address together).
        assert _password(client, "supervisor").status_code == 302
        # Axes keeps a keyed hash, never the username typed, and masks the form it was typed in.
        stored = list(AccessAttempt.objects.values_list("username", "post_data"))
        assert stored and all(enrolled.username not in username for username, _post in stored)
        assert all("wrong-password" not in post and enrolled.username not in post for _u, post in stored)

        traveller.shift(datetime.timedelta(minutes=16))
        fresh = Client()
        assert _password(fresh, enrolled.username).status_code == 302
        assert fresh.post(TWO_FACTOR, {"code": _code_now(enrolled)}).status_code == 302
    # A full sign-in clears the failures counted against this username from this address.
    assert not AccessAttempt.objects.exists()


def test_the_lockout_looks_the_same_for_a_username_that_does_not_exist(enrolled: Any) -> None:
    real, ghost = Client(), Client()
    for _ in range(10):
        real_response = _password(real, enrolled.username, "wrong-password")
        ghost_response = _password(ghost, "nobody-by-this-name", "wrong-password")
    assert real_response.status_code == ghost_response.status_code == 429
    assert _without_csrf(real_response.content) == _without_csrf(ghost_response.content)


def test_wrong_codes_count_towards_the_lockout(enrolled: Any) -> None:
    client = Client()
    for _ in range(2):
        _password(client, enrolled.username)
        wrong = _wrong(_code_now(enrolled))
        for _ in range(5):
            response = client.post(TWO_FACTOR, {"code": wrong})
    assert response.status_code == 429  # the tenth failure, from codes alone
    assert _password(client, enrolled.username).status_code == 429


def test_a_wrong_password_and_an_unknown_username_get_the_same_answer(enrolled: Any) -> None:
    wrong_password = _password(Client(), enrolled.username, "not-the-password")
    unknown_user = _password(Client(), "nobody-by-this-name", "not-the-password")
    assert wrong_password.status_code == unknown_user.status_code == 200
    # The form shows back the username typed; apart from that (and the CSRF token) the pages are identical.
    assert _without_csrf(wrong_password.content).replace(
        enrolled.username.encode(), b"NAME"
    ) == _without_csrf(unknown_user.content).replace(b"nobody-by-this-name", b"NAME")
    # The disabled account answers the same way too.
    staff_disable(user=enrolled, disabled_by=None, reason=DisableReason.LEFT)
    disabled = _password(Client(), enrolled.username)
    assert _without_csrf(disabled.content).replace(enrolled.username.encode(), b"NAME") == _without_csrf(
        unknown_user.content
    ).replace(b"nobody-by-this-name", b"NAME")


class TimingHasher(PBKDF2PasswordHasher):
    """Slow enough that the hash dominates a sign-in attempt, as in production; faster than production."""

    iterations = 60_000


def test_an_unknown_username_takes_as_long_as_a_wrong_password(enrolled: Any, settings: Any) -> None:
    settings.PASSWORD_HASHERS = [f"{__name__}.TimingHasher"]
    settings.AXES_FAILURE_LIMIT = 1000
    enrolled.password = make_password(PERSONA_PASSWORD)
    enrolled.save(update_fields=["password"])
    hash_times = []
    for _ in range(5):
        begin = time.perf_counter()
        make_password("anything at all")
        hash_times.append(time.perf_counter() - begin)

    client = Client()
    known, unknown = [], []
    for i in range(20):
        for username, times in ((enrolled.username, known), (f"nobody-{i}", unknown)):
            begin = time.perf_counter()
            assert _password(client, username, "not-the-password").status_code == 200
            times.append(time.perf_counter() - begin)
    known_median, unknown_median = statistics.median(known), statistics.median(unknown)
    assert 1 / 3 < unknown_median / known_median < 3, (known_median, unknown_median)
    # The unknown username really ran the hasher (Django's ModelBackend hashes the password anyway).
    assert unknown_median > 0.5 * statistics.median(hash_times)


# 3. Timeouts


def test_the_idle_timeout_signs_out_and_polls_do_not_count_as_activity(enrolled: Any, settings: Any) -> None:
    settings.HAFAN_SESSION_IDLE_MINUTES = 30
    with time_machine.travel(START, tick=False) as traveller:
        client = Client()
        _sign_in(client, enrolled)
        for _ in range(3):  # real use keeps the session alive well past 30 minutes
            traveller.shift(datetime.timedelta(minutes=25))
            assert _signed_in(client)
        # A page left open polling (the import progress) does not.
        for _ in range(3):
            traveller.shift(datetime.timedelta(minutes=9))
            poll = client.get(HOME, headers={"HX-Request": "true", "X-Hafan-Poll": "1"})
            assert poll.status_code == 200
        traveller.shift(datetime.timedelta(minutes=4))  # 31 minutes since the last real request
        poll = client.get(HOME, headers={"HX-Request": "true", "X-Hafan-Poll": "1"})
        assert poll.status_code == 204 and poll["HX-Redirect"] == LOGIN
        assert client.get(HOME)["Location"].startswith(LOGIN)
        assert b"You were signed out because you had not used Hafan" in client.get(LOGIN).content
    assert AuditEvent.objects.filter(
        action=AuditAction.SIGN_OUT, target_id=enrolled.username, detail__reason="idle"
    ).exists()


def test_the_absolute_lifetime_ends_even_a_busy_session(enrolled: Any, settings: Any) -> None:
    settings.HAFAN_SESSION_ABSOLUTE_HOURS = 10
    with time_machine.travel(START, tick=False) as traveller:
        client = TwoFactorClient()  # force_login goes through the same login() and receivers
        client.force_login(enrolled)
        for _ in range(29):  # every 20 minutes for 9h40m
            traveller.shift(datetime.timedelta(minutes=20))
            assert _signed_in(client)
        traveller.shift(datetime.timedelta(minutes=21))  # 10h01m after signing in
        response = client.get("/episodes/")
        assert response.status_code == 302 and response["Location"] == LOGIN
        assert b"longest time allowed" in client.get(LOGIN).content


# 4. Disabling a user


def test_disabling_a_user_ends_every_session_and_token_at_once(
    social_worker: Any, administrator: Any
) -> None:
    laptop, phone = Client(), Client()
    totp_device_provision(user=social_worker, name="test")
    _sign_in(laptop, social_worker)
    _password(phone, social_worker.username)  # half-authenticated sessions end too
    token = api_token_issue(user=social_worker, name="Case system")
    assert _signed_in(laptop)
    assert StaffSession.objects.filter(user=social_worker).count() == 2

    staff_disable(user=social_worker, disabled_by=administrator, reason=DisableReason.LEFT)

    assert laptop.get(HOME)["Location"].startswith(LOGIN)
    assert phone.get(TWO_FACTOR)["Location"].startswith(LOGIN)
    assert not StaffSession.objects.filter(user=social_worker).exists()
    assert not Session.objects.filter(session_key__in=[laptop.cookies["sessionid"].value]).exists()
    assert ApiToken.objects.get(user=social_worker).revoked_at is not None
    assert Client(HTTP_AUTHORIZATION=f"Bearer {token}").get("/api/v1/debriefs").status_code == 401
    event = AuditEvent.objects.get(
        action=AuditAction.UPDATE, target_type="user", target_id=social_worker.username
    )
    assert event.detail == {"disabled": True, "reason": "left", "sessions_ended": 2, "tokens_revoked": 1}
    assert event.actor_username == administrator.username
    with pytest.raises(Exception, match="own account"):
        staff_disable(user=administrator, disabled_by=administrator, reason=DisableReason.LEFT)


def test_an_inactive_user_session_gets_the_sign_in_page_on_the_next_request(nurse: Any) -> None:
    """Django's own second line: even a session Hafan did not know about (here the account is switched
    off straight in the database, not through staff_disable) is refused, because ModelBackend.get_user
    answers None for an inactive user."""
    client = TwoFactorClient()
    client.force_login(nurse)
    assert _signed_in(client)
    type(nurse).objects.filter(pk=nurse.pk).update(is_active=False)
    response = client.get("/episodes/")
    assert response.status_code == 302 and response["Location"].startswith(LOGIN)


def test_the_admin_disables_and_resets_two_factor(
    administrator: Any, nurse: Any, education_worker: Any
) -> None:
    nurse_client = TwoFactorClient()
    nurse_client.force_login(nurse)
    education_client = TwoFactorClient()
    education_client.force_login(education_worker)
    admin = TwoFactorClient()
    admin.force_login(administrator)
    changelist = reverse("admin:accounts_user_changelist")

    response = admin.post(changelist, {"action": "disable", "_selected_action": [nurse.pk]})
    assert response.status_code == 302
    nurse.refresh_from_db()
    assert not nurse.is_active
    assert nurse_client.get(HOME)["Location"].startswith(LOGIN)

    response = admin.post(
        changelist, {"action": "reset_two_factor", "_selected_action": [education_worker.pk]}
    )
    assert response.status_code == 302
    assert totp_device_confirmed(user=education_worker) is None
    assert education_client.get(HOME)["Location"].startswith(LOGIN)
    # The admin does not offer the devices themselves (their secrets).
    assert admin.get("/admin/otp_totp/totpdevice/").status_code == 404


# 5. Managing your own two-factor


def test_new_recovery_codes_and_a_reset_need_the_password(enrolled: Any) -> None:
    old_codes = recovery_codes_replace(user=enrolled, replaced_by=enrolled)
    client = Client()
    _sign_in(client, enrolled)
    manage = "/accounts/two-factor/manage/"
    assert b'data-testid="recovery-left">10<' in client.get(manage).content

    refused = client.post(manage, {"action": "codes", "codes-password": "not-it"})
    assert refused.status_code == 200 and b"Your password is not right" in refused.content
    response = client.post(manage, {"action": "codes", "codes-password": PERSONA_PASSWORD})
    assert response["Location"] == "/accounts/two-factor/recovery-codes/"
    new_codes = re.findall(
        r"<li><code>([a-z2-7]{8})</code></li>", client.get(response["Location"]).content.decode()
    )
    assert len(new_codes) == 10 and not set(new_codes) & set(old_codes)

    other = Client()
    _password(other, enrolled.username)
    assert other.post(TWO_FACTOR, {"code": old_codes[0]}).status_code == 200  # the old codes stopped working

    response = client.post(manage, {"action": "reset", "reset-password": PERSONA_PASSWORD})
    assert response["Location"] == "/accounts/two-factor/setup/"
    assert totp_device_confirmed(user=enrolled) is None
    assert not _signed_in(client)  # back to setting up before any page opens
    assert other.get(TWO_FACTOR)["Location"].startswith(LOGIN)  # other sessions ended


# 6. The audit trail


def test_sign_ins_are_audited_without_what_was_typed(enrolled: Any) -> None:
    client = Client()
    _password(client, "nobody-by-this-name", "typed-secret-1")
    _password(client, enrolled.username, "typed-secret-2")
    _sign_in(client, enrolled)
    client.post("/accounts/logout/")
    assert b"You have signed out." in client.get(LOGIN).content

    failed = list(AuditEvent.objects.filter(action=AuditAction.SIGN_IN_FAILED).order_by("seq"))
    assert [(e.target_type, e.target_id, e.detail["stage"]) for e in failed] == [
        ("user", "(unknown)", "password"),
        ("user", enrolled.username, "password"),
    ]
    signed_in = AuditEvent.objects.get(action=AuditAction.SIGN_IN)
    assert (signed_in.actor_username, signed_in.target_id, signed_in.detail) == (
        enrolled.username,
        enrolled.username,
        {"method": "totp"},
    )
    assert AuditEvent.objects.get(action=AuditAction.SIGN_OUT).detail == {"reason": "user"}
    everything = json.dumps(list(AuditEvent.objects.values()), default=str)
    for typed in ("nobody-by-this-name", "typed-secret-1", "typed-secret-2", PERSONA_PASSWORD):
        assert typed not in everything


# 7. The demo


def test_demo_code_prints_a_working_code_only_for_demo_devices(staff: dict[str, Any], settings: Any) -> None:
    settings.DEBUG = False
    settings.HAFAN_DEMO = False
    assert demo_two_factor_seed() == len(staff)
    with pytest.raises(CommandError, match="only for the demo"):
        call_command("demo_code", "coordinator")

    settings.HAFAN_DEMO = True
    totp_device_provision(user=staff["nurse"], name="personal phone")
    with pytest.raises(CommandError, match="No demo authenticator"):
        call_command("demo_code", "nurse")
    with pytest.raises(CommandError, match="No demo authenticator"):
        call_command("demo_code", "nobody-by-this-name")

    out = io.StringIO()
    call_command("demo_code", "coordinator", stdout=out)
    code = out.getvalue().strip()
    assert re.fullmatch(r"\d{6}", code)
    device = totp_device_confirmed(user=staff["coordinator"])
    assert device is not None and device.name == DEMO_DEVICE_NAME
    client = Client()
    _password(client, "coordinator")
    assert client.post(TWO_FACTOR, {"code": code}).status_code == 302
    assert _signed_in(client)
