"""Writes for the young person's feedback: the debrief worker sends a one-time link; the young person answers
it once, on their phone, without signing in (issue 7, item 5).

The link's token is shown to the worker once and never stored (only its keyed hash: hafan.feedback.tokens). The
answers name nobody: their audit row carries the link's id and the service asked about, never the child.
"""

from __future__ import annotations

import datetime
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from hafan.core.errors import InvalidAction, NotPermitted
from hafan.core.vocabulary import Purpose
from hafan.debriefs.models import Debrief, OfferStatus
from hafan.feedback.models import Answer3, FeedbackLink, FeedbackResponse
from hafan.feedback.tokens import looks_like_token, new_token, token_hash
from hafan.sharing import policy
from hafan.sharing.access import actor_for
from hafan.sharing.audit import audit_record
from hafan.sharing.models import AuditAction

COMMENT_MAX_LENGTH = 1000
LANGUAGES = ("en", "cy")
REQUIRED_ANSWERS = ("listened_to", "felt_safe", "helped")
OPTIONAL_ANSWERS = ("right_language", "would_tell_a_friend")


class FeedbackLinkGone(InvalidAction):
    """The link was used, has expired, was replaced by a newer one, or never existed: all look the same."""


def link_days() -> int:
    return int(getattr(settings, "HAFAN_FEEDBACK_LINK_DAYS", 14))


@transaction.atomic
def feedback_link_create(
    *, debrief: Debrief, actor: Any, now: datetime.datetime | None = None
) -> tuple[FeedbackLink, str]:
    """A new one-time link for a held debrief, in the debrief's language. Returns the link and its token (the
    only time the token exists outside the young person's phone). Any unused link for the same debrief stops
    working: the newest link is the one the worker has just texted."""
    now = now or timezone.now()
    if not policy.can_ask_for_feedback(actor_for(actor), provider_code=debrief.provider.code):
        raise NotPermitted(_("Only the debrief provider's workers ask for feedback."))
    # Two clicks at once must not leave two working links: the debrief's row serialises them.
    debrief = (
        Debrief.objects.select_for_update().select_related("provider", "episode__child").get(pk=debrief.pk)
    )
    if debrief.status != OfferStatus.HELD:
        raise InvalidAction(_("Ask for feedback once the debrief has been held."))
    if FeedbackResponse.objects.filter(link__debrief=debrief).exists():
        raise InvalidAction(_("The young person has already given feedback about this debrief."))
    superseded = list(
        FeedbackLink.objects.filter(debrief=debrief, used_at__isnull=True, expires_at__gt=now).values_list(
            "public_id", flat=True
        )
    )
    if superseded:
        FeedbackLink.objects.filter(public_id__in=superseded).update(
            expires_at=now, updated_at=timezone.now()
        )
    token = new_token()
    link = FeedbackLink.objects.create(
        debrief=debrief,
        provider=debrief.provider,
        token_hash=token_hash(token),
        language=debrief.language if debrief.language in LANGUAGES else "en",
        created_by=actor,
        expires_at=now + datetime.timedelta(days=link_days()),
    )
    audit_record(
        actor=actor,
        action=AuditAction.CREATE,
        purpose=Purpose.DEBRIEF,
        target_type="feedback_link",
        target_id=link.public_id,
        child_public_id=debrief.episode.child.public_id,
        detail={
            "debrief": str(debrief.public_id),
            "language": link.language,
            "expires_at": link.expires_at.isoformat(),
            "superseded": [str(s) for s in superseded],
        },
    )
    return link, token


def _check_answers(
    *,
    listened_to: str,
    felt_safe: str,
    helped: str,
    right_language: str,
    would_tell_a_friend: str,
    comment: str,
) -> dict[str, str]:
    errors: dict[str, str] = {}
    given = {
        "listened_to": listened_to,
        "felt_safe": felt_safe,
        "helped": helped,
        "right_language": right_language,
        "would_tell_a_friend": would_tell_a_friend,
    }
    for name, value in given.items():
        if name in REQUIRED_ANSWERS and not value:
            errors[name] = _("Choose an answer.")
        elif value and value not in Answer3.values:
            errors[name] = _("Choose yes, a bit or no.")
    if len(comment) > COMMENT_MAX_LENGTH:
        errors["comment"] = _("Please make this shorter: %(max)d letters at most.") % {
            "max": COMMENT_MAX_LENGTH
        }
    return errors


@transaction.atomic
def feedback_submit(
    *,
    token: str,
    listened_to: str,
    felt_safe: str,
    helped: str,
    right_language: str = "",
    would_tell_a_friend: str = "",
    comment: str = "",
    language: str = "",
    now: datetime.datetime | None = None,
) -> FeedbackResponse:
    """The young person's answers, once per link. A used, expired, replaced or unknown link raises
    FeedbackLinkGone (one error for all four, so the answer reveals nothing); bad answers raise ValidationError
    and write nothing."""
    now = now or timezone.now()
    link = (
        FeedbackLink.objects.select_for_update()
        .select_related("provider")
        .filter(token_hash=token_hash(token))
        .first()
        if looks_like_token(token)
        else None
    )
    if link is None or link.used_at is not None or link.expires_at <= now:
        raise FeedbackLinkGone(_("This link has already been used or has expired."))
    comment = (comment or "").strip()
    errors = _check_answers(
        listened_to=listened_to,
        felt_safe=felt_safe,
        helped=helped,
        right_language=right_language,
        would_tell_a_friend=would_tell_a_friend,
        comment=comment,
    )
    if errors:
        raise ValidationError(errors)
    response = FeedbackResponse.objects.create(
        link=link,
        provider=link.provider,
        submitted_at=now,
        language=language if language in LANGUAGES else link.language,
        listened_to=listened_to,
        felt_safe=felt_safe,
        helped=helped,
        right_language=right_language,
        would_tell_a_friend=would_tell_a_friend,
        comment=comment,
    )
    link.used_at = now
    link.save(update_fields=["used_at", "updated_at"])
    # Nobody is signed in: the row is "(system)" as audit_record writes it for no actor, and says who in its
    # detail. It names the link and the service, never the child (the link's own row ties it to the debrief).
    audit_record(
        actor=None,
        action=AuditAction.CREATE,
        purpose=Purpose.DEBRIEF,
        target_type="feedback_response",
        target_id=response.public_id,
        detail={
            "by": "young person, through a one-time link",
            "link": str(link.public_id),
            "provider": link.provider.code,
            "language": response.language,
        },
    )
    return response
