"""The notification pages: the list, the bell (the navigation's live count) and opening a notice.

Every signed-in member of staff has their own notices and nobody else's (another's answers 404)."""

from __future__ import annotations

import uuid

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import translation
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from hafan.agencies.selectors import agencies_by_code
from hafan.notifications.messages import notice_text
from hafan.notifications.selectors import notification_get_for_user, notifications_for
from hafan.notifications.services import (
    WELSH_PREFIX,
    local_path,
    notification_open,
    notifications_mark_all_read,
)

LIST_LIMIT = 100


@require_http_methods(["GET"])
def notification_list(request: HttpRequest) -> HttpResponse:
    notices = list(notifications_for(request.user)[:LIST_LIMIT])
    agencies = agencies_by_code()
    rows = [
        (notice, notice_text(kind=notice.kind, params=notice.params, agencies=agencies)) for notice in notices
    ]
    return render(
        request,
        "notifications/list.html",
        {"rows": rows, "any_unread": any(notice.read_at is None for notice in notices)},
    )


@require_http_methods(["GET"])
def bell(request: HttpRequest) -> HttpResponse:
    """The bell on its own, for the navigation to refresh itself (the count comes from the context processor)."""
    return render(request, "notifications/_bell.html")


def _target(url: str) -> str | None:
    """Where opening a notice leads: its local page in the reader's language, never another site."""
    path = local_path(url)
    if not path or not url_has_allowed_host_and_scheme(path, allowed_hosts=None):
        return None
    if (translation.get_language() or "").startswith("cy"):
        return WELSH_PREFIX + path
    return path


@require_http_methods(["POST"])
def notification_open_view(request: HttpRequest, public_id: uuid.UUID) -> HttpResponse:
    notice = notification_get_for_user(user=request.user, public_id=public_id)
    notification_open(notification=notice, user=request.user)
    target = _target(notice.url)
    return redirect(target) if target else redirect("notifications:list")


@require_http_methods(["POST"])
def notifications_read_all(request: HttpRequest) -> HttpResponse:
    count = notifications_mark_all_read(user=request.user)
    if count:
        messages.success(request, _("All notifications marked as read."))
    return redirect("notifications:list")
