from __future__ import annotations

import hashlib
import secrets
from typing import Any

from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from hafan.accounts.models import ApiToken, User
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
        detail={"role": str(role), "agency": agency.code if agency else None},
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
