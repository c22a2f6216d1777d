"""The words of each notice, rendered from its params in a given language.

Notices carry references and codes, never a child's name: the email leaves the system, and the page the
link leads to applies the reader's access rules. Agency names come from their codes (`Agency.name` is
bilingual), labels from the vocabularies, dates in the reader's language and the hub's time zone.
"""

from __future__ import annotations

import datetime
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from django.db.models import TextChoices
from django.utils import formats, timezone, translation
from django.utils.translation import gettext as _

from hafan.agencies.models import Agency
from hafan.core.vocabulary import RiskGrade
from hafan.episodes.models import InformationService
from hafan.notifications.models import NotificationKind
from hafan.risk.models import HubTaskKind

UNKNOWN = "-"


@dataclass(frozen=True)
class NoticeText:
    title: str
    body: str


def _agency_name(code: Any, agencies: Mapping[str, Agency] | None) -> str:
    if not code:
        return UNKNOWN
    agency = Agency.objects.filter(code=str(code)).first() if agencies is None else agencies.get(str(code))
    return agency.name if agency is not None else str(code)


def _label(choices: type[TextChoices], value: Any) -> str:
    if not value:
        return UNKNOWN
    try:
        return str(choices(str(value)).label)
    except ValueError:
        return str(value)


def format_due(value: Any) -> str:
    """A date or date and time (ISO text, as the senders store it in params) in the active language."""
    if not value:
        return UNKNOWN
    text = str(value)
    try:
        if len(text) <= 10:
            return formats.date_format(datetime.date.fromisoformat(text), "j F Y")
        moment = datetime.datetime.fromisoformat(text)
    except ValueError:
        return text
    if timezone.is_naive(moment):
        moment = timezone.make_aware(moment)
    return formats.date_format(timezone.localtime(moment), "j F Y, H:i")


def _text(kind: str, p: Mapping[str, Any], agencies: Mapping[str, Agency] | None = None) -> NoticeText:
    reference = str(p.get("reference") or UNKNOWN)
    if kind == NotificationKind.EPISODE_ASSIGNED:
        return NoticeText(
            _("Episode %(reference)s assigned to you") % {"reference": reference},
            _("You have been assigned to work missing episode %(reference)s. Open the briefing to see it.")
            % {"reference": reference},
        )
    if kind == NotificationKind.INFORMATION_CALL_ESCALATED:
        values = {
            "reference": reference,
            "agency": _agency_name(p.get("agency_code"), agencies),
            "service": _label(InformationService, p.get("service")),
            "due": format_due(p.get("due")),
        }
        return NoticeText(
            _("Information call overdue for %(reference)s") % values,
            _(
                "%(agency)s (%(service)s) has not answered the information call for episode %(reference)s, "
                "which was due by %(due)s."
            )
            % values,
        )
    if kind == NotificationKind.REVIEW_OVERDUE:
        values = {
            "reference": reference,
            "grade": _label(RiskGrade, p.get("grade")),
            "due": format_due(p.get("due")),
        }
        return NoticeText(
            _("Risk review overdue for %(reference)s") % values,
            _("The risk grade for episode %(reference)s (%(grade)s) was due for review by %(due)s.") % values,
        )
    if kind == NotificationKind.FOUND_OUT_OF_AREA:
        values = {
            "reference": reference,
            "found": _agency_name(p.get("found_council_code"), agencies),
            "responsible": _agency_name(p.get("responsible_council_code"), agencies),
        }
        return NoticeText(
            _("Child in episode %(reference)s found outside their home council's area") % values,
            _(
                "The child in episode %(reference)s was found in the area of %(found)s. "
                "The council responsible for the child is %(responsible)s."
            )
            % values,
        )
    if kind == NotificationKind.PLAN_TO_AGREE and not p.get("reference"):
        return NoticeText(
            _("Response plan waiting for your agreement"),
            _(
                "A response plan for a child you hold the case for needs your agreement before it takes effect."
            ),
        )
    if kind == NotificationKind.PLAN_TO_AGREE:
        return NoticeText(
            _("Response plan waiting for your agreement (%(reference)s)") % {"reference": reference},
            _("A response plan for the child in %(reference)s needs your agreement before it takes effect.")
            % {"reference": reference},
        )
    if kind == NotificationKind.PLAN_DECIDED and p.get("agreed"):
        return NoticeText(
            _("Response plan agreed (%(reference)s)") % {"reference": reference},
            _("The social worker agreed the response plan you proposed: it is now in force."),
        )
    if kind == NotificationKind.PLAN_DECIDED:
        return NoticeText(
            _("Response plan not agreed (%(reference)s)") % {"reference": reference},
            _(
                "The social worker did not agree the response plan you proposed. Their reasons are with the plan."
            ),
        )
    if kind == NotificationKind.HUB_TASK:
        values = {"task": _label(HubTaskKind, p.get("task_kind")), "due": format_due(p.get("due"))}
        return NoticeText(
            _("New task for the hub: %(task)s") % values,
            _("A new task for the hub (%(task)s) is due by %(due)s.") % values,
        )
    if kind == NotificationKind.DEBRIEF_ASSIGNED:
        values = {"reference": reference, "due": format_due(p.get("due"))}
        return NoticeText(
            _("Debrief for %(reference)s assigned to you") % values,
            _("You have been assigned the debrief for episode %(reference)s, due by %(due)s.") % values,
        )
    if kind == NotificationKind.DEBRIEF_SHARED:
        return NoticeText(
            _("A debrief shared new information (%(reference)s)") % {"reference": reference},
            _(
                "The debrief after episode %(reference)s shared new information with the hub. Review the "
                "child's risk and response plan."
            )
            % {"reference": reference},
        )
    if kind == NotificationKind.REFERRAL_REMINDER:  # issue 7: the service's name, never the child's
        welsh = (translation.get_language() or "en").startswith("cy")
        values = {
            "service": str(
                p.get("service_cy") if welsh and p.get("service_cy") else p.get("service_en") or UNKNOWN
            ),
            "since": format_due(p.get("since")),
            "days": p.get("days", UNKNOWN),
        }
        if p.get("stage") == "outcome":
            return NoticeText(
                _("Referral to %(service)s: no outcome yet") % values,
                _(
                    "Work on a referral to %(service)s started on %(since)s and no outcome has been recorded "
                    "after %(days)s days. Record the outcome, or chase the service."
                )
                % values,
            )
        return NoticeText(
            _("Referral to %(service)s: no answer yet") % values,
            _(
                "A referral to %(service)s sent on %(since)s has had no answer for %(days)s days. Record the "
                "service's answer, or chase it."
            )
            % values,
        )
    return NoticeText(_("New notice"), _("Open Hafan to see it."))


def notice_text(
    *,
    kind: str,
    params: Mapping[str, Any] | None,
    language: str | None = None,
    agencies: Mapping[str, Agency] | None = None,
) -> NoticeText:
    """The title and body of a notice, in `language` (default: the active language). A caller rendering many
    notices passes `agencies` (agencies.selectors.agencies_by_code) so agency names are not looked up one by one."""
    if language is None:
        return _text(kind, params or {}, agencies)
    with translation.override(language):
        return _text(kind, params or {}, agencies)


def email_text(*, kind: str, params: Mapping[str, Any] | None, link: str, language: str) -> tuple[str, str]:
    """Subject and plain-text body of a notice's email, in the recipient's language."""
    with translation.override(language):
        text = _text(kind, params or {})
        body = "\n\n".join(
            [
                text.body,
                _("Open it in Hafan: %(link)s") % {"link": link},
                _(
                    "This is an automatic notice from Hafan. Sign in to see the details: "
                    "the page shows only what your access allows. Do not reply to this email."
                ),
            ]
        )
    subject = " ".join(f"Hafan: {text.title}".split())  # one line, whatever the params held
    return subject, body + "\n"
