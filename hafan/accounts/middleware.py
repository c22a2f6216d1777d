"""Every page request from a signed-in member of staff passes here (docs/accounts.md):

1. the idle timeout and the absolute lifetime: an expired session is signed out and sent to the sign-in page;
2. activity: any request but a timed HTMX poll moves the idle clock on;
3. two-factor: until a code has been accepted, the session reaches only the sign-in, two-factor, sign-out
   and language pages, so a half-authenticated session never sees a page with a child's data.

Runs after AuthenticationMiddleware and django-otp's OTPMiddleware, in process_view, so it can tell which
view a URL leads to. The JSON API (/api/) authenticates agency systems by bearer token and has no session.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any
from urllib.parse import urlencode

from django.conf import settings
from django.http import HttpRequest, HttpResponse, HttpResponseBase, HttpResponseRedirect
from django.urls import reverse

from hafan.accounts.signin import SEEN_AT, is_poll, now_seconds, session_expired, sign_out

# What a half-authenticated session may reach (URL names; the same under /cy/).
TWO_FACTOR_EXEMPT = frozenset(
    {
        "accounts:login",
        "accounts:logout",
        "accounts:two_factor",
        "accounts:two_factor_setup",
        "set_language",
    }
)


def _redirect(request: HttpRequest, url: str) -> HttpResponseBase:
    if request.headers.get("HX-Request") == "true":
        # An HTMX request would swap the sign-in page into a fragment: have the browser navigate instead.
        response = HttpResponse(status=204)
        response["HX-Redirect"] = url
        return response
    return HttpResponseRedirect(url)


def _with_next(url: str, request: HttpRequest) -> str:
    if request.method == "GET" and request.headers.get("HX-Request") != "true":
        return f"{url}?{urlencode({'next': request.get_full_path()})}"
    return url


class StaffSessionMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponseBase]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponseBase:
        return self.get_response(request)

    def process_view(
        self, request: HttpRequest, view_func: Any, view_args: Any, view_kwargs: Any
    ) -> HttpResponseBase | None:
        if request.path_info.startswith(("/api/", settings.STATIC_URL)):
            return None
        match = request.resolver_match
        view_name = match.view_name if match else ""
        if view_name == "admin:login":
            # One way in for everyone: the admin's own sign-in form knows nothing of two-factor.
            return _redirect(request, _with_next(reverse("accounts:login"), request))

        user: Any = request.user
        if not user.is_authenticated:
            return None  # PagesLoginRequiredMiddleware sends anonymous visitors to the sign-in page

        expired = session_expired(request)
        if expired is not None:
            sign_out(request, reason=expired)
            return _redirect(request, reverse("accounts:login"))
        if not is_poll(request):
            request.session[SEEN_AT] = now_seconds()

        if user.is_verified() or view_name in TWO_FACTOR_EXEMPT:
            return None
        return _redirect(request, _with_next(reverse("accounts:two_factor"), request))
