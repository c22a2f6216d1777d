from __future__ import annotations

import hashlib
import secrets
from importlib import import_module
from typing import Any

from django.conf import settings
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from hafan.accounts.lockout import username_key
from hafan.accounts.models import ApiToken, DisableReason, StaffSession, User
from hafan.agencies.models import Agency
from hafan.core.vocabulary import Purpose, Role
from hafan.sharing.audit import audit_record
from hafan.sharing.models import AuditAction


@transaction.atomic
def staff_create(
    *,
    username: str,
    password: str,
    role: Role | str,
    agency: Agency | None,
    first_name: str = "",
    last_name: str = "",
    email: str = "",
    language: str = "en",
    created_by: Any = None,
    is_superuser: bool = False,
    hub_member: bool = True,
) -> User:
    if role not in Role.values:
        raise ValidationError({"role": _("Choose a role.")})
    if User.objects.filter(username__iexact=username).exists():
        raise ValidationError({"username": _("That username is taken.")})
    user = User(
        username=username,
        role=role,
        agency=agency,
        first_name=first_name,
        last_name=last_name,
        email=email,
        language=language,
        hub_member=hub_member,
        is_staff=is_superuser,
        is_superuser=is_superuser,
    )
    validate_password(password, user)
    user.set_password(password)
    user.save()
    audit_record(
        actor=created_by,
        action=AuditAction.CREATE,
        purpose=Purpose.ADMINISTRATION,
        target_type="user",
        target_id=user.username,
        detail={"role": str(role), "agency": agency.code if agency else None, "hub_member": hub_member},
    )
    return user


def _hash(raw: str) -> str:
    return hashlib.sha256(raw.encode()).hexdigest()


@transaction.atomic
def api_token_issue(*, user: User, name: str, issued_by: Any = None) -> str:
    """Issues a bearer token for an agency system acting as `user`. The raw token is shown once."""
    raw = "hafan_" + secrets.token_urlsafe(32)
    token = ApiToken.objects.create(user=user, name=name, key_hash=_hash(raw))
    audit_record(
        actor=issued_by,
        action=AuditAction.CREATE,
        purpose=Purpose.ADMINISTRATION,
        target_type="api_token",
        target_id=str(token.pk),
        detail={"user": user.username, "name": name},
    )
    return raw


def api_token_user(raw: str) -> User | None:
    token = (
        ApiToken.objects.select_related("user", "user__agency")
        .filter(key_hash=_hash(raw), revoked_at__isnull=True, user__is_active=True)
        .first()
    )
    return token.user if token else None


@transaction.atomic
def api_token_revoke(*, token: ApiToken, revoked_by: Any) -> None:
    token.revoked_at = timezone.now()
    token.save(update_fields=["revoked_at"])
    audit_record(
        actor=revoked_by,
        action=AuditAction.UPDATE,
        purpose=Purpose.ADMINISTRATION,
        target_type="api_token",
        target_id=str(token.pk),
        detail={"revoked": True},
    )


# Sessions (docs/accounts.md): StaffSession maps each member of staff to their session keys, so that
# disabling someone or resetting their device ends every session they have, on any engine's store.


def staff_session_record(*, user: User, session_key: str) -> None:
    StaffSession.objects.update_or_create(session_key=session_key, defaults={"user": user})


def staff_session_rekey(*, old_key: str | None, new_key: str) -> None:
    """A session's key changed (two-factor verification cycles it): follow it."""
    if old_key:
        StaffSession.objects.filter(session_key=old_key).update(session_key=new_key)


def staff_session_forget(*, session_key: str | None) -> None:
    if session_key:
        StaffSession.objects.filter(session_key=session_key).delete()


def _sessions_end(user: User, *, keep: str | None = None) -> int:
    store = import_module(settings.SESSION_ENGINE).SessionStore()
    rows = StaffSession.objects.filter(user=user)
    if keep:
        rows = rows.exclude(session_key=keep)
    keys = list(rows.values_list("session_key", flat=True))
    for key in keys:
        store.delete(key)
    rows.delete()
    return len(keys)


@transaction.atomic
def staff_disable(*, user: User, disabled_by: Any, reason: DisableReason | str) -> None:
    """Stops a member of staff signing in, at once: every session they have ends (their next request gets
    the sign-in page) and every API token they hold is revoked. Nothing is deleted."""
    if reason not in DisableReason.values:
        raise ValidationError({"reason": _("Choose why the account is being disabled.")})
    if disabled_by is not None and getattr(disabled_by, "pk", None) == user.pk:
        raise ValidationError(_("You cannot disable your own account."))
    user.is_active = False
    user.save(update_fields=["is_active"])
    sessions = _sessions_end(user)
    tokens = list(user.api_tokens.filter(revoked_at__isnull=True))
    for token in tokens:
        api_token_revoke(token=token, revoked_by=disabled_by)
    audit_record(
        actor=disabled_by,
        action=AuditAction.UPDATE,
        purpose=Purpose.ADMINISTRATION,
        target_type="user",
        target_id=user.username,
        detail={
            "disabled": True,
            "reason": str(reason),
            "sessions_ended": sessions,
            "tokens_revoked": len(tokens),
        },
    )


@transaction.atomic
def staff_lockout_clear(*, user: User, cleared_by: Any) -> int:
    """Clears the failed sign-ins counted against this username (from every address)."""
    from axes.handlers.proxy import AxesProxyHandler

    cleared = AxesProxyHandler.reset_attempts(username=username_key(user.username))
    audit_record(
        actor=cleared_by,
        action=AuditAction.UPDATE,
        purpose=Purpose.ADMINISTRATION,
        target_type="user",
        target_id=user.username,
        detail={"lockout_cleared": True},
    )
    return cleared


# Two-factor devices (django-otp): one authenticator app (TOTP) per person, and one set of recovery codes.

RECOVERY_CODE_COUNT = 10
RECOVERY_DEVICE_NAME = "recovery"


def totp_device_confirmed(*, user: User) -> TOTPDevice | None:
    return TOTPDevice.objects.filter(user=user, confirmed=True).order_by("pk").first()


def recovery_device(*, user: User) -> StaticDevice | None:
    return StaticDevice.objects.filter(user=user, confirmed=True).order_by("pk").first()


@transaction.atomic
def totp_device_begin(*, user: User) -> TOTPDevice:
    """The device being set up: kept (unconfirmed) between showing the QR code and the first code, so a
    reload shows the same secret. A person who already has a confirmed device must reset it first."""
    if totp_device_confirmed(user=user) is not None:
        raise ValidationError(_("Two-factor authentication is already set up."))
    pending = TOTPDevice.objects.filter(user=user, confirmed=False).order_by("pk").first()
    return pending or TOTPDevice.objects.create(user=user, name="authenticator", confirmed=False)


def totp_device_confirm(*, user: User, device: TOTPDevice, code: str) -> list[str]:
    """Confirms the device with its first code and returns a fresh set of recovery codes (shown once)."""
    if device.user_id != user.pk or device.confirmed:
        raise ValidationError({"code": _("Start setting up two-factor authentication again.")})
    # No throttling while setting up: the person can already see the secret, so guessing gains nothing,
    # and a mistyped first code must not make the right one fail a second later.
    device.throttle_reset(commit=False)
    if not device.verify_token(code.strip().replace(" ", "")):
        raise ValidationError({"code": _("The code is not right. Enter the 6-digit code the app shows now.")})
    with transaction.atomic():
        TOTPDevice.objects.filter(user=user).exclude(pk=device.pk).delete()
        device.confirmed = True
        device.save(update_fields=["confirmed"])
        audit_record(
            actor=user,
            action=AuditAction.CREATE,
            purpose=Purpose.ADMINISTRATION,
            target_type="two_factor_device",
            target_id=user.username,
            detail={"kind": "totp"},
        )
        return recovery_codes_replace(user=user, replaced_by=user)


@transaction.atomic
def totp_device_provision(*, user: User, name: str, provisioned_by: Any = None) -> TOTPDevice:
    """A confirmed device made without the person scanning a code: for the demo's logins (name "demo",
    whose codes `hafan demo_code` prints) and the test suite. Real staff set theirs up at first sign-in."""
    TOTPDevice.objects.filter(user=user).delete()
    device = TOTPDevice.objects.create(user=user, name=name, confirmed=True)
    audit_record(
        actor=provisioned_by,
        action=AuditAction.CREATE,
        purpose=Purpose.ADMINISTRATION,
        target_type="two_factor_device",
        target_id=user.username,
        detail={"kind": "totp", "provisioned": name},
    )
    return device


@transaction.atomic
def recovery_codes_replace(*, user: User, replaced_by: Any) -> list[str]:
    """Makes RECOVERY_CODE_COUNT new one-time codes; the old ones stop working. The codes are returned to
    be shown once; each is deleted when it is used."""
    device, _created = StaticDevice.objects.get_or_create(
        user=user, name=RECOVERY_DEVICE_NAME, defaults={"confirmed": True}
    )
    device.token_set.all().delete()
    codes = [StaticToken.random_token() for _ in range(RECOVERY_CODE_COUNT)]
    StaticToken.objects.bulk_create([StaticToken(device=device, token=code) for code in codes])
    audit_record(
        actor=replaced_by,
        action=AuditAction.CREATE,
        purpose=Purpose.ADMINISTRATION,
        target_type="recovery_codes",
        target_id=user.username,
        detail={"count": len(codes)},
    )
    return codes


@transaction.atomic
def two_factor_reset(*, user: User, reset_by: Any, keep_session_key: str | None = None) -> int:
    """Removes the person's authenticator and recovery codes and ends their sessions (all but
    `keep_session_key`, the session of someone resetting their own after re-entering their password):
    a lost phone must not leave a signed-in session behind. They set up a new device at their next sign-in."""
    TOTPDevice.objects.filter(user=user).delete()
    StaticDevice.objects.filter(user=user).delete()
    ended = _sessions_end(user, keep=keep_session_key)
    audit_record(
        actor=reset_by,
        action=AuditAction.DELETE,
        purpose=Purpose.ADMINISTRATION,
        target_type="two_factor_device",
        target_id=user.username,
        detail={"sessions_ended": ended},
    )
    return ended
