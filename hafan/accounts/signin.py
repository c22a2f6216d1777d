"""Sign-in state kept in the session, and the steps that change it (docs/accounts.md).

A session is "half-authenticated" after the password and until a two-factor code: the user is logged in as
far as Django is concerned, but `request.user.is_verified()` is False and StaffSessionMiddleware sends every
page except the sign-in ones to the two-factor page. The session key changes at both steps.
"""

from __future__ import annotations

import enum
from typing import Any

import django_otp
from axes.handlers.proxy import AxesProxyHandler
from axes.helpers import get_client_ip_address
from django.conf import settings
from django.contrib import auth
from django.contrib.auth.signals import user_login_failed
from django.http import HttpRequest
from django.utils import timezone
from django_otp.models import Device

from hafan.accounts.lockout import username_key
from hafan.accounts.services import staff_session_rekey
from hafan.core.vocabulary import Purpose
from hafan.sharing.audit import audit_record
from hafan.sharing.models import AuditAction

AUTH_AT = (
    "hafan_auth_at"  # when the password was accepted (Unix seconds): the absolute lifetime counts from it
)
SEEN_AT = "hafan_seen_at"  # the last request that counted as activity: the idle timeout counts from it
TWO_FACTOR_FAILURES = "hafan_two_factor_failures"
SIGNED_OUT = "hafan_signed_out"  # why the last session ended, shown once on the sign-in page
STAGE = "hafan_stage"  # in user_login_failed credentials: which step failed


class SignOutReason(enum.StrEnum):
    USER = "user"
    IDLE = "idle"
    ABSOLUTE = "absolute"
    TWO_FACTOR_FAILURES = "two_factor_failures"


def now_seconds() -> float:
    return timezone.now().timestamp()


def session_started(request: HttpRequest) -> None:
    request.session[AUTH_AT] = request.session[SEEN_AT] = now_seconds()


def session_expired(request: HttpRequest) -> SignOutReason | None:
    """Why this signed-in session has run out, if it has. A session without the timestamps (made before
    they existed, or by hand) is treated as expired."""
    now = now_seconds()
    auth_at = request.session.get(AUTH_AT)
    seen_at = request.session.get(SEEN_AT)
    if auth_at is None or now - auth_at > settings.HAFAN_SESSION_ABSOLUTE_HOURS * 3600:
        return SignOutReason.ABSOLUTE
    if seen_at is None or now - seen_at > settings.HAFAN_SESSION_IDLE_MINUTES * 60:
        return SignOutReason.IDLE
    return None


def is_poll(request: HttpRequest) -> bool:
    """An HTMX request the page makes by itself on a timer (hx-trigger="every ..."): marked by the template
    with `hx-headers='{"X-Hafan-Poll": "1"}'`. It must not keep an idle session alive."""
    return request.headers.get("X-Hafan-Poll") == "1"


def sign_out(request: HttpRequest, *, reason: SignOutReason) -> None:
    """Ends the session (audited by the user_logged_out receiver with this reason) and leaves the reason in
    the fresh session, for the sign-in page to explain."""
    request.hafan_sign_out_reason = reason  # type: ignore[attr-defined]
    auth.logout(request)
    request.session[SIGNED_OUT] = str(reason)


def two_factor_complete(request: HttpRequest, *, device: Device, method: str) -> None:
    """The second factor is verified: remember the device in the session (as django_otp.login does), give
    the session a new key, clear the failures counted against this username from this address, and audit
    the sign-in."""
    user: Any = request.user
    django_otp.login(request, device)
    old_key = request.session.session_key
    request.session.cycle_key()
    new_key = request.session.session_key
    if new_key:
        staff_session_rekey(old_key=old_key, new_key=new_key)
    request.session.pop(TWO_FACTOR_FAILURES, None)
    AxesProxyHandler.reset_attempts(
        ip_address=get_client_ip_address(request), username=username_key(user.username)
    )
    audit_record(
        actor=user,
        action=AuditAction.SIGN_IN,
        purpose=Purpose.ADMINISTRATION,
        target_type="user",
        target_id=user.username,
        detail={"method": method},
    )


def two_factor_failed(request: HttpRequest) -> int:
    """A wrong code: counted in the session, and as a failed sign-in for the lockout (and the audit trail,
    through the user_login_failed receivers). Returns how many wrong codes this session has had."""
    failures = int(request.session.get(TWO_FACTOR_FAILURES, 0)) + 1
    request.session[TWO_FACTOR_FAILURES] = failures
    user: Any = request.user
    user_login_failed.send(
        sender=__name__,
        credentials={"username": user.username, STAGE: "two_factor"},
        request=request,
    )
    return failures


def lockout_in_force(request: HttpRequest) -> bool:
    user: Any = request.user
    return bool(AxesProxyHandler.is_locked(request, {"username": user.username}))
