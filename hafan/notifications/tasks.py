"""Background work for notifications: email the notices soon after they are made (`hafan db_worker` runs queued
tasks; the scheduler's sweep sends anything the queue missed)."""

from __future__ import annotations

from typing import Any

from django.tasks import task


@task()
def send_pending_email() -> dict[str, Any]:
    """Emails every notice still waiting (queued by `notify` once its transaction commits)."""
    from hafan.notifications.services import notifications_email_pending

    return {"sent": notifications_email_pending()}
