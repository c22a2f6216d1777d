from __future__ import annotations

import contextvars
import uuid
from collections.abc import Callable
from typing import Any

from django.contrib.auth.middleware import LoginRequiredMiddleware
from django.http import HttpRequest, HttpResponseBase

from hafan.sharing.access import relations_remembered

# The id of the request being served, written into every audit entry it causes. Empty outside a request
# (background tasks, management commands).
_request_id: contextvars.ContextVar[str] = contextvars.ContextVar("hafan_request_id", default="")


def current_request_id() -> str:
    return _request_id.get()


class RequestIdMiddleware:
    """Gives every request, pages and API alike, a fresh random id: each audit entry records it, and the
    response carries it as `X-Request-ID` so a support call or a log line can be matched to the audit trail.
    A client's own X-Request-ID is ignored: the audit trail only holds ids the server made."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponseBase]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponseBase:
        request_id = str(uuid.uuid4())
        request.request_id = request_id  # type: ignore[attr-defined]
        token = _request_id.set(request_id)
        try:
            # Each user's relation to a child is worked out once per request (sharing.access.relation_to).
            with relations_remembered():
                response = self.get_response(request)
        finally:
            _request_id.reset(token)
        response["X-Request-ID"] = request_id
        return response


class PagesLoginRequiredMiddleware(LoginRequiredMiddleware):
    """Every page needs a signed-in user. The API authenticates agency systems by token instead
    (hafan.core.api), so it is left to answer 401 itself rather than redirect to a login page."""

    def process_view(self, request: HttpRequest, view_func: Any, view_args: Any, view_kwargs: Any) -> Any:
        if request.path_info.startswith("/api/"):
            return None
        return super().process_view(request, view_func, view_args, view_kwargs)
