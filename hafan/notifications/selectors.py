"""Reads of notifications. A notice is its recipient's alone: anyone else gets 404."""

from __future__ import annotations

import uuid
from typing import Any

from django.db.models import QuerySet

from hafan.core.errors import NotFoundOrNoAccess
from hafan.notifications.models import Notification


def notifications_for(user: Any) -> QuerySet[Notification]:
    """The user's notices, newest first."""
    if not getattr(user, "is_authenticated", False):
        return Notification.objects.none()
    return Notification.objects.filter(recipient=user).order_by("-created_at", "-id")


def unread_count(user: Any) -> int:
    """How many of the user's notices are unread (one COUNT, for the bell on every page)."""
    if not getattr(user, "is_authenticated", False):
        return 0
    return Notification.objects.filter(recipient=user, read_at__isnull=True).count()


def notification_get_for_user(*, user: Any, public_id: uuid.UUID | str) -> Notification:
    """The user's own notice; 404 when it does not exist or is someone else's."""
    notice = notifications_for(user).filter(public_id=public_id).first()
    if notice is None:
        raise NotFoundOrNoAccess
    return notice


def notices_about(*, recipient: Any, dedupe_prefix: str) -> int:
    """How many notices the recipient has had whose event key starts with `dedupe_prefix` (to number a repeated
    event, such as a second assignment of the same episode, so that it notifies again)."""
    return Notification.objects.filter(recipient=recipient, dedupe_key__startswith=dedupe_prefix).count()
