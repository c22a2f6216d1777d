"""Receivers for Django's sign-in signals: session bookkeeping and the audit trail (docs/accounts.md).

Every way in (the sign-in page, the admin, a test client's force_login) goes through django.contrib.auth's
login(), logout() and authenticate(), so the bookkeeping lives here rather than in one view.
"""

from __future__ import annotations

from typing import Any

from django.contrib.auth.signals import user_logged_in, user_logged_out, user_login_failed
from django.dispatch import receiver
from django.http import HttpRequest

from hafan.accounts.models import User
from hafan.accounts.services import staff_session_forget, staff_session_record
from hafan.accounts.signin import STAGE, SignOutReason, session_started
from hafan.core.vocabulary import Purpose
from hafan.sharing.audit import audit_record
from hafan.sharing.models import AuditAction


@receiver(user_logged_in, dispatch_uid="hafan.accounts.logged_in")
def _logged_in(sender: Any, request: HttpRequest | None, user: User, **kwargs: Any) -> None:
    session = getattr(request, "session", None)
    if session is None:
        return
    session_started(request)  # type: ignore[arg-type]
    if session.session_key is None:  # login() flushed another user's session: give this one its key now
        session.save()
    staff_session_record(user=user, session_key=session.session_key)


@receiver(user_logged_out, dispatch_uid="hafan.accounts.logged_out")
def _logged_out(sender: Any, request: HttpRequest | None, user: User | None, **kwargs: Any) -> None:
    session = getattr(request, "session", None)
    if session is not None:
        staff_session_forget(session_key=session.session_key)
    if user is None:
        return
    reason = getattr(request, "hafan_sign_out_reason", SignOutReason.USER)
    audit_record(
        actor=user,
        action=AuditAction.SIGN_OUT,
        purpose=Purpose.ADMINISTRATION,
        target_type="user",
        target_id=user.get_username(),
        detail={"reason": str(reason)},
    )


@receiver(user_login_failed, dispatch_uid="hafan.accounts.login_failed")
def _login_failed(
    sender: Any, credentials: dict[str, Any], request: HttpRequest | None = None, **kwargs: Any
) -> None:
    # Only whether the username belongs to someone is kept: never what was typed, in either box.
    typed = credentials.get("username")
    known = bool(typed) and User.objects.filter(username=typed).exists()
    audit_record(
        actor=None,
        action=AuditAction.SIGN_IN_FAILED,
        purpose=Purpose.ADMINISTRATION,
        target_type="user",
        target_id=str(typed) if known else "(unknown)",
        detail={
            "stage": str(credentials.get(STAGE, "password")),
            # django-axes' receiver runs first (its app is listed earlier) and flags the request.
            "locked_out": bool(getattr(request, "axes_locked_out", False)),
        },
    )
