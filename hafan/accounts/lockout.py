"""The sign-in lockout (django-axes, configured in config/settings.py; docs/accounts.md).

Axes counts failures per (username, IP address). It is given a keyed hash of the username rather than the
text typed: what someone types in the username box is sometimes their password, and it must not sit in a
table. The lockout page says the same thing whether or not the username exists.
"""

from __future__ import annotations

import hashlib
import hmac
from typing import Any

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.template.response import TemplateResponse


def username_key(username: str) -> str:
    """What axes stores for a username: stable for one SECRET_KEY, useless without it."""
    digest = hmac.new(
        settings.SECRET_KEY.encode(), b"hafan-lockout:" + username.encode(), hashlib.sha256
    ).hexdigest()
    return f"h:{digest[:40]}"


def lockout_username(request: HttpRequest | None, credentials: dict[str, Any] | None) -> str | None:
    """AXES_USERNAME_CALLABLE: the hashed username from the credentials (or the posted form)."""
    raw = None
    if credentials:
        raw = credentials.get("username")
    elif request is not None:
        raw = request.POST.get("username")
    if not raw:
        return None
    return username_key(str(raw))


def locked_out_response(
    request: HttpRequest, original_response: HttpResponse | None = None, credentials: Any = None
) -> HttpResponse:
    """AXES_LOCKOUT_CALLABLE: one generic page, never naming the account or confirming that it exists."""
    response = TemplateResponse(
        request,
        "accounts/locked_out.html",
        {"cooloff_minutes": settings.HAFAN_LOGIN_COOLOFF_MINUTES},
        status=429,
    )
    response.render()
    return response
