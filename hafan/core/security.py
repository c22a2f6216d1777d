"""Secure defaults that every response and log line gets (issue 5, item 10; docs/security.md).

- `NoStoreMiddleware`: pages and API answers carry children's personal data, so neither the browser nor any
  proxy may keep a copy (the back button after signing out, a shared computer, a caching proxy).
  Static files (CSS, JavaScript, images) stay cacheable.
- `PathOnlyFilter`: request log lines name the path, never the query string, which can carry what someone
  typed into a search or filter form.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable

from django.conf import settings
from django.http import HttpRequest, HttpResponseBase
from django.utils.cache import add_never_cache_headers

# A path followed by its query string, in a log message such as `"GET /episodes/?status=missing HTTP/1.1" 200`.
_QUERY_STRING = re.compile(r"(?P<path>/[^\s?\"'#]*)\?[^\s\"']*")
# A young person's one-time feedback link carries its token in the path (`/feedback/<token>/`): logs keep
# only that a feedback link was used.
_FEEDBACK_TOKEN = re.compile(r"(?P<prefix>/feedback/)(?!results/|debrief/)[A-Za-z0-9_-]{16,}")


class NoStoreMiddleware:
    """`Cache-Control: no-store` (and the HTTP/1.0 `Pragma: no-cache`) on every response but static files."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponseBase]) -> None:
        self.get_response = get_response
        self.static_prefix = (
            settings.STATIC_URL if settings.STATIC_URL.startswith("/") else f"/{settings.STATIC_URL}"
        )

    def __call__(self, request: HttpRequest) -> HttpResponseBase:
        response = self.get_response(request)
        if request.path_info.startswith(self.static_prefix):
            return response
        # no-store replaces whatever a view set: nothing Hafan serves outside /static/ may be kept.
        add_never_cache_headers(response)
        response["Cache-Control"] = "no-store, no-cache, must-revalidate, max-age=0, private"
        response["Pragma"] = "no-cache"
        return response


def strip_query_strings(message: str) -> str:
    """The message with every `path?query` cut down to the path, and feedback tokens hidden."""
    return _FEEDBACK_TOKEN.sub(r"\g<prefix>[token]", _QUERY_STRING.sub(r"\g<path>", message))


class PathOnlyFilter(logging.Filter):
    """Rewrites request log records (django.request, django.server) so they carry the path only.

    The message is formatted here, once, and its query strings removed; the request object attached to
    django.request's records is dropped so no handler or formatter can print its GET parameters."""

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        stripped = strip_query_strings(message)
        if stripped != message or record.args:
            record.msg = stripped
            record.args = ()
        if isinstance(getattr(record, "request", None), HttpRequest):
            record.request = None
        return True
