"""Writes about notifications. Other apps call `notify`; the email goes out in the background
(`notifications_email_pending`, queued after each notice and run by the scheduler as a safety net).

docs/notifications.md describes the whole flow."""

from __future__ import annotations

import logging
from collections.abc import Iterable
from typing import Any

from django.conf import settings
from django.core.mail import EmailMessage
from django.db import IntegrityError, transaction
from django.utils import timezone

from hafan.core.errors import NotFoundOrNoAccess
from hafan.notifications.messages import email_text
from hafan.notifications.models import Notification, NotificationKind

logger = logging.getLogger(__name__)

# After this many failed attempts a notice is no longer emailed (it stays in the app).
MAX_EMAIL_ATTEMPTS = 5
WELSH_PREFIX = "/cy"


def local_path(url: str) -> str:
    """The language-neutral local path of a link, or "" if it is not a local path. Links are stored without
    the /cy/ prefix, so each reader gets the page in their own language (in the app and by email)."""
    url = (url or "").strip()
    if not url.startswith("/") or url.startswith(("//", "/\\")) or any(c in url for c in "\r\n\t "):
        return ""
    if url == WELSH_PREFIX or url.startswith(WELSH_PREFIX + "/"):
        url = url[len(WELSH_PREFIX) :] or "/"
    return url


def _enqueue_email() -> None:
    from hafan.notifications.tasks import send_pending_email

    send_pending_email.enqueue()


def notify(
    *,
    recipients: Iterable[Any],
    kind: NotificationKind,
    params: dict[str, Any],
    url: str,
    dedupe_key: str,
) -> list[Notification]:
    """Tells each recipient once about one event (`dedupe_key` names the event: a second call for the same event
    and recipient does nothing, so the scheduler can re-run safely). `params` carry references and codes, never
    a child's name: the text is rendered in each recipient's language when shown or emailed, and the link leads
    to a page that applies the access rules. `url` is a local path (a /cy/ prefix is dropped; anything else is
    not stored). Returns the notices made; once the caller's transaction commits, their email is queued."""
    made: list[Notification] = []
    seen: set[int] = set()
    path = local_path(url)
    for user in recipients:
        if user is None or user.pk in seen or not user.is_active:
            continue
        seen.add(user.pk)
        try:
            with transaction.atomic():
                made.append(
                    Notification.objects.create(
                        recipient=user, kind=kind, params=params, url=path, dedupe_key=dedupe_key[:200]
                    )
                )
        except IntegrityError:
            continue  # already told about this event
    if any(notice.recipient.email for notice in made):
        # robust: a queue that is down must not undo the caller's work; the scheduler's sweep sends it later.
        transaction.on_commit(_enqueue_email, robust=True)
    return made


def email_link(notice: Notification, language: str) -> str:
    base = settings.HAFAN_BASE_URL.rstrip("/")
    prefix = WELSH_PREFIX if language == "cy" else ""
    return f"{base}{prefix}{notice.url or '/notifications/'}"


def _email_one(pk: int) -> bool:
    """Emails one notice, at most once even when the worker and the scheduler run together (the row is locked
    and re-checked). Returns whether it was sent."""
    with transaction.atomic():
        notice = (
            Notification.objects.select_for_update(skip_locked=True, of=("self",))
            .select_related("recipient")
            .filter(pk=pk, emailed_at__isnull=True, email_attempts__lt=MAX_EMAIL_ATTEMPTS)
            .first()
        )
        if notice is None:
            return False
        recipient = notice.recipient
        language = recipient.language if recipient.language in {"en", "cy"} else "en"
        subject, body = email_text(
            kind=notice.kind, params=notice.params, link=email_link(notice, language), language=language
        )
        message = EmailMessage(
            subject=subject,
            body=body,
            from_email=settings.DEFAULT_FROM_EMAIL,
            to=[recipient.email],
            headers={"Auto-Submitted": "auto-generated"},
        )
        notice.email_attempts += 1
        try:
            message.send(fail_silently=False)
        except Exception:  # any mail backend's failure: count it, keep going with the others
            logger.warning(
                "Notification %s: email attempt %s failed",
                notice.public_id,
                notice.email_attempts,
                exc_info=True,
            )
            notice.save(update_fields=["email_attempts", "updated_at"])
            return False
        notice.emailed_at = timezone.now()
        notice.save(update_fields=["email_attempts", "emailed_at", "updated_at"])
        return True


def notifications_email_pending(*, limit: int = 200) -> int:
    """Emails each notice not yet emailed whose recipient is active and has an email address (oldest first, at
    most `limit`), in the recipient's language. A failure is counted; after MAX_EMAIL_ATTEMPTS the notice is
    left in the app only. Safe to run again and alongside itself. Returns how many were sent."""
    pending = list(
        Notification.objects.filter(
            emailed_at__isnull=True, email_attempts__lt=MAX_EMAIL_ATTEMPTS, recipient__is_active=True
        )
        .exclude(recipient__email="")
        .order_by("created_at", "id")
        .values_list("pk", flat=True)[:limit]
    )
    return sum(1 for pk in pending if _email_one(pk))


@transaction.atomic
def notification_open(*, notification: Notification, user: Any) -> Notification:
    """Marks the user's own notice read (the first time they open it). Anyone else's: 404."""
    if notification.recipient_id != getattr(user, "pk", None):
        raise NotFoundOrNoAccess
    if notification.read_at is None:
        notification.read_at = timezone.now()
        notification.save(update_fields=["read_at", "updated_at"])
    return notification


@transaction.atomic
def notifications_mark_all_read(*, user: Any) -> int:
    """Marks every unread notice of the user read; returns how many."""
    return Notification.objects.filter(recipient=user, read_at__isnull=True).update(
        read_at=timezone.now(), updated_at=timezone.now()
    )
