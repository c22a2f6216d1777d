"""The subject-access export: one child's data as JSON, each item marked for redaction review where it
is information about someone else or police intelligence (docs/adr/0006-retention.md).

Nothing here decides what the child is sent: the information-governance officer reviews every marked
item (and may withhold under DPA 2018 Schedule 2 paragraphs 16 and 17, or Part 3 section 45(4) for police
information) before anything leaves the hub.
"""

from __future__ import annotations

import datetime
import decimal
import io
import json
import uuid
import zipfile
from collections.abc import Callable
from typing import Any

from django.db import models

from hafan.agencies.models import Agency
from hafan.core.vocabulary import AgencyKind, DataCategory, FactCategory
from hafan.rights.holdings import Holdings

EXPORT_FORMAT = "hafan-subject-access/1"


class Reason:
    """Why an item needs a person's review before release. Codes, explained in README.txt."""

    THIRD_PARTY = "third_party"
    POLICE_INTELLIGENCE = "police_intelligence"
    POLICE_RECORD = "police_record"
    UNCLASSIFIED = "unclassified"


# Sections of export.json, by model, in the order a reader wants them; anything else follows by label.
SECTIONS: dict[str, str] = {
    "people.Child": "identities",
    "people.SourceRecord": "agency_records",
    "people.SourceRecordVersion": "agency_record_versions",
    "people.Fact": "facts",
    "episodes.Episode": "episodes",
    "risk.RiskAssessment": "risk_assessments",
    "people.ResponsePlan": "response_plans",
    "people.ChildProfile": "information_profiles",
    "episodes.InformationRequest": "information_requests",
    "risk.HubTask": "hub_tasks",
    "risk.ExploitationScreening": "exploitation_screenings",
    "debriefs.Debrief": "debriefs",
    # Issue 7: the debrief workspace: attempts to reach the child, findings with their sharing decision, and
    # family mediation.
    "debriefs.ContactAttempt": "debrief_contact_attempts",
    "debriefs.DebriefFinding": "debrief_findings",
    "debriefs.MediationSession": "mediation_sessions",
    "referrals.Referral": "referrals",
    # Issue 7: each step of a referral (sent, accepted, declined, started, completed, reminders, NRM decisions).
    "referrals.ReferralEvent": "referral_events",
    "people.Allocation": "allocations",
    "sharing.BreakGlassGrant": "emergency_access_grants",
    "sharing.Disclosure": "disclosures",
    "sharing.LegalHold": "legal_holds",
    "linkage.MatchDecision": "linkage_decisions",
    "linkage.IdentityChange": "identity_changes",
    "linkage.BlockingKey": "linkage_keys",
    "linkage.RecordLinkage": "linkage_runs",
    "rights.SubjectAccessRequest": "subject_access_requests",
    "rights.Rectification": "rectifications",
    "rights.RectificationNotice": "rectification_notices",
    # Issue 7: the young person's own feedback on their debrief (anonymous to the results, not to the child).
    "feedback.FeedbackLink": "feedback_links",
    "feedback.FeedbackResponse": "feedback_responses",
}

# Fields never exported: a one-time link's token hash is the hub's secret, not the child's information.
OMITTED_FIELDS: dict[str, set[str]] = {"feedback.FeedbackLink": {"token_hash"}}

# Models whose every field is the hub's own bookkeeping about the child, or the child's own data, and
# needs no review beyond the rules below.
KNOWN = set(SECTIONS)

README = """\
SUBJECT ACCESS EXPORT: FOR REDACTION REVIEW, NOT FOR RELEASE AS IT IS
=====================================================================

This file holds everything the hub held about one child when it was made (export.json),
including information that must not be released without a person's review.

Each item in export.json has "redaction_review": true or false. An item marked true
is never to be released until the information-governance officer has reviewed it:

  third_party          it names or describes someone other than the child (a person who
                       reported the child missing, people the child was with, known
                       associates, another child's records in identity matching)
  police_intelligence  police intelligence, or a risk rationale that draws on it: ask the
                       police whether releasing it would prejudice the prevention or
                       detection of crime (DPA 2018 Part 3 section 45(4), Schedule 2)
  police_record        an agency record as the police supplied it: check with the police
  unclassified         a kind of record this export does not yet classify: review it all

Items marked false may still need redaction: review the whole export before release.
The response is due by the date in "request"; record the outcome on the rights page.

ALLFORIO MYNEDIAD GAN Y GWRTHRYCH: AR GYFER ADOLYGIAD GOLYGU, NID I'W RYDDHAU FEL Y MAE
======================================================================================

Mae'r ffeil hon yn dal popeth oedd gan yr hyb am un plentyn pan gafodd ei gwneud
(export.json), gan gynnwys gwybodaeth na ddylid ei rhyddhau heb i berson ei hadolygu.

Mae gan bob eitem yn export.json "redaction_review": true neu false. Ni ddylid byth
ryddhau eitem sydd wedi'i marcio'n true nes bod y swyddog llywodraethu gwybodaeth wedi'i
hadolygu:

  third_party          mae'n enwi neu'n disgrifio rhywun heblaw'r plentyn (person a
                       roddodd wybod bod y plentyn ar goll, pobl yr oedd y plentyn gyda
                       nhw, cysylltiadau hysbys, cofnodion plentyn arall wrth baru
                       hunaniaethau)
  police_intelligence  gwybodaeth gudd-wybodaeth yr heddlu, neu resymeg risg sy'n dibynnu
                       arni: gofynnwch i'r heddlu a fyddai ei rhyddhau'n niweidio atal neu
                       ganfod trosedd (DPA 2018 Rhan 3 adran 45(4), Atodlen 2)
  police_record        cofnod asiantaeth fel y'i rhoddwyd gan yr heddlu: holwch yr heddlu
  unclassified         math o gofnod nad yw'r allforio hwn yn ei ddosbarthu eto: adolygwch
                       y cyfan

Efallai y bydd angen golygu eitemau sydd wedi'u marcio'n false hefyd: adolygwch yr
allforio cyfan cyn ei ryddhau. Mae'r ymateb yn ddyledus erbyn y dyddiad yn "request";
cofnodwch y canlyniad ar y dudalen hawliau.
"""


class _Names:
    """Turns foreign keys into what a reader can use: a username, an agency code, a public id."""

    def __init__(self) -> None:
        from django.contrib.auth import get_user_model

        self.user_model = get_user_model()
        self.cache: dict[tuple[type[models.Model], Any], Any] = {}

    def __call__(self, target: type[models.Model], pk: Any) -> Any:
        key = (target, pk)
        if key not in self.cache:
            if target is self.user_model:
                self.cache[key] = (
                    target._base_manager.filter(pk=pk).values_list("username", flat=True).first()
                )
            elif target is Agency:
                self.cache[key] = Agency.objects.filter(pk=pk).values_list("code", flat=True).first()
            elif any(f.name == "public_id" for f in target._meta.concrete_fields):
                value = target._base_manager.filter(pk=pk).values_list("public_id", flat=True).first()
                self.cache[key] = str(value) if value is not None else None
            else:
                self.cache[key] = pk
        return self.cache[key]


def _plain(value: Any) -> Any:
    if isinstance(value, datetime.datetime | datetime.date | datetime.time):
        return value.isoformat()
    if isinstance(value, uuid.UUID | decimal.Decimal):
        return str(value)
    if isinstance(value, bytes):
        return value.hex()
    return value


def _fields(obj: models.Model, names: _Names) -> dict[str, Any]:
    has_public_id = any(f.name == "public_id" for f in obj._meta.concrete_fields)
    omitted = OMITTED_FIELDS.get(obj._meta.label, set())
    data: dict[str, Any] = {}
    for f in obj._meta.concrete_fields:
        if (f.primary_key and has_public_id) or f.name in omitted:
            continue
        raw = getattr(obj, f.attname)
        if f.is_relation and raw is not None:
            data[f.name] = names(f.related_model, raw)  # type: ignore[arg-type]
        else:
            data[f.name] = _plain(raw)
    return data


class _Context:
    """What the redaction rules need to know about the export as a whole."""

    def __init__(self, holdings: Holdings) -> None:
        from hafan.people.models import Child, SourceRecord

        self.child_ids = set(holdings.rows.get(Child, set()))
        self.record_ids = set(holdings.rows.get(SourceRecord, set()))
        self.police_agency_ids = set(
            Agency.objects.filter(kind=AgencyKind.POLICE).values_list("pk", flat=True)
        )
        self.record_agency = dict(
            SourceRecord.objects.filter(pk__in=self.record_ids).values_list("pk", "agency_id")
        )


Rule = Callable[[Any, _Context], list[str]]


def _fact(obj: Any, ctx: _Context) -> list[str]:
    reasons = []
    if obj.data_category == DataCategory.POLICE_INTELLIGENCE:
        reasons.append(Reason.POLICE_INTELLIGENCE)
    if obj.category == FactCategory.ASSOCIATE:
        reasons.append(Reason.THIRD_PARTY)
    return reasons


def _episode(obj: Any, ctx: _Context) -> list[str]:
    return [Reason.THIRD_PARTY] if obj.reporter_name.strip() else []


def _debrief(obj: Any, ctx: _Context) -> list[str]:
    return [Reason.THIRD_PARTY] if obj.who_with.strip() else []


def _contact_attempt(obj: Any, ctx: _Context) -> list[str]:
    return [Reason.THIRD_PARTY] if obj.note.strip() else []


def _finding(obj: Any, ctx: _Context) -> list[str]:
    # What the child said may name others (associates above all).
    return [Reason.THIRD_PARTY] if obj.text.strip() else []


def _mediation(obj: Any, ctx: _Context) -> list[str]:
    # Family members take part: their words and names are theirs too.
    named = (obj.attendees, obj.summary, obj.agreed_actions)
    return [Reason.THIRD_PARTY] if any(value.strip() for value in named) else []


def _risk(obj: Any, ctx: _Context) -> list[str]:
    return [Reason.POLICE_INTELLIGENCE]


def _version(obj: Any, ctx: _Context) -> list[str]:
    return [Reason.POLICE_RECORD] if ctx.record_agency.get(obj.record_id) in ctx.police_agency_ids else []


def _decision(obj: Any, ctx: _Context) -> list[str]:
    # A pair with another child's record: that record's id is about someone else.
    return [] if {obj.left_id, obj.right_id} <= ctx.record_ids else [Reason.THIRD_PARTY]


def _identity_change(obj: Any, ctx: _Context) -> list[str]:
    return [] if {obj.from_child_id, obj.to_child_id} <= ctx.child_ids else [Reason.THIRD_PARTY]


def _profile(obj: Any, ctx: _Context) -> list[str]:
    # Associates, phones and the placement name other people (friends, carers, adults of concern).
    named = (obj.associates, obj.phones, obj.placement, obj.social_media)
    return [Reason.THIRD_PARTY] if any(value.strip() for value in named) else []


def _information_request(obj: Any, ctx: _Context) -> list[str]:
    # The worker's answer is in their own words, and may name others.
    return [Reason.THIRD_PARTY] if obj.answer.strip() else []


def _screening(obj: Any, ctx: _Context) -> list[str]:
    # Exploitation indicators point at other people (older associates, groups): a police view is needed.
    return [Reason.THIRD_PARTY]


def _feedback(obj: Any, ctx: _Context) -> list[str]:
    # The young person's own words, which may name others (a worker, a carer).
    return [Reason.THIRD_PARTY] if obj.comment.strip() else []


def _no_review(obj: Any, ctx: _Context) -> list[str]:
    return []


def _unclassified(obj: Any, ctx: _Context) -> list[str]:
    return [Reason.UNCLASSIFIED]


RULES: dict[str, Rule] = {
    "people.Fact": _fact,
    "episodes.Episode": _episode,
    "debriefs.Debrief": _debrief,
    "debriefs.ContactAttempt": _contact_attempt,
    "debriefs.DebriefFinding": _finding,
    "debriefs.MediationSession": _mediation,
    "risk.RiskAssessment": _risk,
    "people.ChildProfile": _profile,
    "episodes.InformationRequest": _information_request,
    "risk.ExploitationScreening": _screening,
    "people.SourceRecordVersion": _version,
    "linkage.MatchDecision": _decision,
    "linkage.IdentityChange": _identity_change,
    "feedback.FeedbackResponse": _feedback,
}


def export_items(holdings: Holdings) -> dict[str, list[dict[str, Any]]]:
    """Every row of the child's data as an item: its fields and whether it needs redaction review."""
    names = _Names()
    ctx = _Context(holdings)
    known = [m for m in holdings.rows if m._meta.label in SECTIONS]
    known.sort(key=lambda m: list(SECTIONS).index(m._meta.label))
    others = sorted((m for m in holdings.rows if m._meta.label not in SECTIONS), key=lambda m: m._meta.label)
    sections: dict[str, list[dict[str, Any]]] = {}
    for model in known + others:
        label = model._meta.label
        rule: Rule = RULES.get(label, _no_review) if label in KNOWN else _unclassified
        items = []
        for obj in holdings.queryset(model).order_by("pk").iterator():
            reasons = rule(obj, ctx)
            items.append(
                {
                    "type": label,
                    "redaction_review": bool(reasons),
                    "redaction_reasons": reasons,
                    "fields": _fields(obj, names),
                }
            )
        sections[SECTIONS.get(label, label)] = items
    return sections


def export_document(
    *, holdings: Holdings, request: dict[str, Any], generated: dict[str, Any]
) -> dict[str, Any]:
    sections = export_items(holdings)
    flagged = sum(1 for items in sections.values() for item in items if item["redaction_review"])
    return {
        "format": EXPORT_FORMAT,
        "notice": "For the information-governance officer's redaction review: not for release as it is.",
        "request": request,
        "generated": generated,
        "summary": {
            "items": sum(len(items) for items in sections.values()),
            "for_redaction_review": flagged,
            "per_section": {name: len(items) for name, items in sections.items()},
        },
        "data": sections,
    }


def export_zip(document: dict[str, Any]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("README.txt", README)
        archive.writestr("export.json", json.dumps(document, ensure_ascii=False, indent=2, sort_keys=False))
    return buffer.getvalue()
