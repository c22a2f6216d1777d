"""The debrief worker's pages: the queue of offers to make, and the record of each debrief."""

from __future__ import annotations

import datetime
import uuid
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from hafan.core.errors import NotFoundOrNoAccess
from hafan.core.forms import apply_service_errors
from hafan.debriefs.forms import DebriefRecordForm
from hafan.debriefs.models import Debrief
from hafan.debriefs.selectors import debrief_get_for_user, debrief_queue_for
from hafan.debriefs.services import debrief_record
from hafan.referrals.models import ReferralStatus
from hafan.referrals.selectors import referrals_for_child_visible_to
from hafan.sharing import policy
from hafan.sharing.access import actor_for

FINISHED_REFERRAL_STATUSES = {ReferralStatus.COMPLETED, ReferralStatus.WITHDRAWN, ReferralStatus.DECLINED}


@dataclass(frozen=True)
class QueueRow:
    """Only what the worker needs to make the offer: no police intelligence, no risk grade, no agency facts."""

    debrief: Debrief
    child_name: str
    child_age: int | None
    hours_left: int | None

    @property
    def overdue(self) -> bool:
        return self.hours_left is None


def _queue_row(debrief: Debrief, now: datetime.datetime) -> QueueRow:
    child = debrief.episode.child
    left = debrief.due_by - now
    return QueueRow(
        debrief=debrief,
        child_name=child.full_name,
        child_age=child.age_on(timezone.localdate(now)),
        hours_left=int(left.total_seconds() // 3600) if left > datetime.timedelta(0) else None,
    )


@require_http_methods(["GET"])
def queue(request: HttpRequest) -> HttpResponse:
    if not policy.is_debrief_worker(actor_for(request.user)):
        raise NotFoundOrNoAccess
    now = timezone.now()
    rows = [_queue_row(d, now) for d in debrief_queue_for(request.user)]
    return render(
        request,
        "debriefs/queue.html",
        {"rows": rows, "deadline_hours": settings.HAFAN_DEBRIEF_DEADLINE_HOURS},
    )


@require_http_methods(["GET", "POST"])
def detail(request: HttpRequest, public_id: uuid.UUID) -> HttpResponse:
    debrief = debrief_get_for_user(user=request.user, public_id=public_id)
    if request.method == "POST":
        form = DebriefRecordForm(request.POST)
        if form.is_valid():
            try:
                debrief_record(debrief=debrief, worker=request.user, **form.cleaned_data)
            except ValidationError as exc:
                apply_service_errors(form, exc.message_dict)
                # The service refused before writing; show the record as it is stored.
                debrief.refresh_from_db()
            else:
                messages.success(
                    request,
                    _("Debrief for %(reference)s recorded.") % {"reference": debrief.episode.reference},
                )
                return redirect("debriefs:queue")
    else:
        form = DebriefRecordForm(initial=DebriefRecordForm.initial_for(debrief))
    child = debrief.episode.child
    referrals = referrals_for_child_visible_to(user=request.user, child=child).filter(debrief=debrief)
    context: dict[str, Any] = {
        "debrief": debrief,
        "episode": debrief.episode,
        "child": child,
        "child_age": child.age_on(timezone.localdate()),
        "form": form,
        "referrals": referrals,
        "finished_referral_statuses": [s.value for s in FINISHED_REFERRAL_STATUSES],
    }
    return render(request, "debriefs/detail.html", context)
