"""The hub's shared vocabulary: coded values with bilingual labels.

These enums are imported by the pure access policy, so this module must not import models or ORM code.
"""

from __future__ import annotations

from django.db.models import TextChoices
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy


class AgencyKind(TextChoices):
    POLICE = "police", _("Police")
    HEALTH = "health", _("Health board")
    COUNCIL = "council", _("Council")
    CHARITY = "charity", _("Charity")


class Role(TextChoices):
    POLICE_COORDINATOR = "police_coordinator", _("Hub police coordinator")
    POLICE_SUPERVISOR = "police_supervisor", _("Police supervisor")
    SOCIAL_WORKER = "social_worker", _("Council social worker")
    HEALTH_NURSE = "health_nurse", _("Health nurse")
    EDUCATION_WORKER = "education_worker", _("Education worker")
    DEBRIEF_WORKER = "debrief_worker", _("Debrief worker")
    ANALYST = "analyst", _("Manager or analyst")
    IG_AUDITOR = "ig_auditor", _("Information-governance auditor")
    ADMINISTRATOR = "administrator", _("Administrator")


class FactCategory(TextChoices):
    LOOKED_AFTER = "looked_after", _("Looked after")
    CHILD_PROTECTION = "child_protection", _("Child protection plan")
    HEALTH_NEED = "health_need", _("Health needs")
    SCHOOL = "school", _("School")
    ATTENDANCE = "attendance", _("Attendance and exclusions")
    EXPLOITATION = "exploitation", _("Exploitation concerns")
    WARNING_MARKER = "warning_marker", _("Police warning markers")
    ASSOCIATE = "associate", _("Known associates")
    PLACE = "place", _("Places frequented")
    # Learnt in debriefs (issue 7), when the child agreed or safeguarding requires it.
    TRAVEL = "travel", _("How the child travelled")
    WELLBEING = "wellbeing", _("Harm, substance use and sleeping rough")
    WISHES = "wishes", _("The child's wishes and what would help")


class RiskGrade(TextChoices):
    VERY_LOW = "very_low", _("Very low")
    LOW = "low", _("Low")
    MEDIUM = "medium", _("Medium")
    HIGH = "high", _("High")


RISK_GRADE_ORDER = [RiskGrade.VERY_LOW, RiskGrade.LOW, RiskGrade.MEDIUM, RiskGrade.HIGH]


class Purpose(TextChoices):
    """Why a record was read or written: recorded with every audit row."""

    MISSING_EPISODE = "missing_episode", _("Responding to a missing episode")
    DEBRIEF = "debrief", _("Independent debrief")
    REFERRAL = "referral", pgettext_lazy("purpose", "Referral to a service")
    PLANNING = "planning", _("Planning for the next episode")
    OVERSIGHT = "oversight", _("Performance oversight")
    AUDIT = "audit", _("Information-governance audit")
    ADMINISTRATION = "administration", _("Administration")
    AGENCY_FEED = "agency_feed", _("Agency system feed")


# Information governance (docs/adr/0005-information-governance.md)


class DataCategory(TextChoices):
    """What kind of information a fact is, for sharing agreements and the access table."""

    POLICE_INTELLIGENCE = "police_intelligence", _("Police intelligence")
    HEALTH = "health", _("Health")
    EDUCATION = "education", _("Education")
    SOCIAL_CARE = "social_care", _("Social care")
    DEBRIEF_DISCLOSURE = "debrief_disclosure", _("Debrief disclosure")


class Handling(TextChoices):
    """How far a fact may travel beyond the agency that supplied it."""

    HUB_ONLY = "hub_only", _("Hub only")
    NEED_TO_KNOW = "need_to_know", _("Need to know: allocated workers only")
    NOT_TO_CHARITY = "not_to_charity", _("Not to the charity")
    CONSENT_OR_SAFEGUARDING = "consent_or_safeguarding", _("Only with consent or on a safeguarding basis")


class ShareBasis(TextChoices):
    """Why a fact that needs consent or a safeguarding basis may be shared."""

    NONE = "none", _("No basis recorded")
    CONSENT = "consent", _("The child agreed")
    SAFEGUARDING = "safeguarding", _("Needed to keep the child safe")


class Relation(TextChoices):
    """The user's relation to a child, one of the access policy's inputs."""

    ALLOCATED = "allocated", _("Allocated worker")
    HUB_MEMBER = "hub_member", _("Hub member")
    BREAK_GLASS = "break_glass", _("Emergency access")
    NONE = "none", _("None")


class Channel(TextChoices):
    """How information left its owning agency's view (the disclosure log)."""

    PAGE = "page", _("Page")
    PDF = "pdf", _("PDF")
    EXPORT = "export", _("Export")
    API = "api", _("Agency system (API)")
