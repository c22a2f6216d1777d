"""The printable police briefing (PDF): the same access as the briefing page, in the reader's language."""

from __future__ import annotations

import re
import uuid

from django.http import HttpRequest, HttpResponse
from django.views.decorators.http import require_http_methods

from hafan.core.errors import NotFoundOrNoAccess
from hafan.core.vocabulary import Purpose
from hafan.episodes.pdf import briefing_pdf_build
from hafan.episodes.selectors import episode_get_for_user
from hafan.sharing import policy
from hafan.sharing.access import actor_for, relation_to

_UNSAFE_IN_FILENAME = re.compile(r"[^A-Za-z0-9._-]")


@require_http_methods(["GET"])
def briefing_pdf(request: HttpRequest, public_id: uuid.UUID) -> HttpResponse:
    episode = episode_get_for_user(user=request.user, public_id=public_id, purpose=Purpose.MISSING_EPISODE)
    # The debrief worker sees the episode but not the child's record: no briefing, so no PDF either.
    if not policy.can_view_child_record(
        actor_for(request.user), relation=relation_to(request.user, episode.child)
    ):
        raise NotFoundOrNoAccess
    pdf = briefing_pdf_build(user=request.user, episode=episode)
    response = HttpResponse(pdf, content_type="application/pdf")
    filename = _UNSAFE_IN_FILENAME.sub("-", episode.reference)
    response["Content-Disposition"] = f'inline; filename="briefing-{filename}.pdf"'
    response["Cache-Control"] = "no-store"  # NoStoreMiddleware says so too; a briefing must never be cached
    response["X-Content-Type-Options"] = "nosniff"
    return response
