"""Bearer-token authentication for agency systems. The API is token-only: a signed-in session is not enough."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from ninja.security import HttpBearer

from hafan.accounts.services import api_token_user


class ApiTokenAuth(HttpBearer):
    """`Authorization: Bearer <token>`. The token acts as the staff user it was issued for, so that
    user's role and agency decide what the caller may do, through the same policy as the pages."""

    def authenticate(self, request: HttpRequest, token: str) -> Any:
        token = token.strip()
        if not token:
            return None
        user = api_token_user(token)
        if user is None:
            return None
        # Selectors, services and the audit trail all take the acting user from request.user.
        request.user = user
        return user
