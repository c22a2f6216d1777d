"""Hafan's access policy: pure functions of who is asking and what they ask about.

No database, no models: tests/unit/test_policy.py checks every function as a truth table
(every role x every kind of record). Views, the API and selectors ask these questions through
hafan.sharing.access, never by testing roles themselves.

The rules (docs/adr/0002-access-policy.md explains why):
- Hub casework staff of partner agencies (police, social care, health, education) see the whole
  briefing: in a MASH, information is seen and assessed inside the hub.
- The charity's debrief worker sees only the episodes its agency was asked to debrief, and of a
  child's facts only those its own agency supplied: never police intelligence.
- Managers and analysts see figures, not children. The information-governance auditor sees the
  audit trail, not children. Administrators manage staff accounts, not children.
- Anyone from an agency outside the partnership sees nothing.
"""

from __future__ import annotations

from dataclasses import dataclass

from hafan.core.vocabulary import AgencyKind, DataCategory, FactCategory, Handling, Role


@dataclass(frozen=True)
class Actor:
    role: Role | None
    agency_code: str | None
    agency_kind: AgencyKind | None
    in_partnership: bool
    is_active: bool = True


CASEWORK_ROLES = frozenset(
    {
        Role.POLICE_COORDINATOR,
        Role.POLICE_SUPERVISOR,
        Role.SOCIAL_WORKER,
        Role.HEALTH_NURSE,
        Role.EDUCATION_WORKER,
    }
)
POLICE_ROLES = frozenset({Role.POLICE_COORDINATOR, Role.POLICE_SUPERVISOR})
# Facts that are police intelligence even when another agency passed them on.
POLICE_INTELLIGENCE_CATEGORIES = frozenset({FactCategory.WARNING_MARKER})


def data_category_for(
    *, source_agency_kind: AgencyKind, category: FactCategory, from_debrief: bool
) -> DataCategory:
    """The data category a fact belongs to, from who supplied it and what it is about."""
    if from_debrief:
        return DataCategory.DEBRIEF_DISCLOSURE
    if is_police_intelligence(source_agency_kind=source_agency_kind, category=category):
        return DataCategory.POLICE_INTELLIGENCE
    if source_agency_kind == AgencyKind.HEALTH or category == FactCategory.HEALTH_NEED:
        return DataCategory.HEALTH
    if category in {FactCategory.SCHOOL, FactCategory.ATTENDANCE}:
        return DataCategory.EDUCATION
    return DataCategory.SOCIAL_CARE


def default_handling(data_category: DataCategory) -> Handling:
    """The handling a fact gets when it is written; the owning agency can restrict it further."""
    if data_category == DataCategory.POLICE_INTELLIGENCE:
        return Handling.HUB_ONLY
    if data_category == DataCategory.DEBRIEF_DISCLOSURE:
        return Handling.CONSENT_OR_SAFEGUARDING
    return Handling.NOT_TO_CHARITY


def _partner(actor: Actor) -> bool:
    return actor.is_active and actor.in_partnership and actor.role is not None


def is_casework(actor: Actor) -> bool:
    return _partner(actor) and actor.role in CASEWORK_ROLES


def is_debrief_worker(actor: Actor) -> bool:
    return _partner(actor) and actor.role == Role.DEBRIEF_WORKER and actor.agency_kind == AgencyKind.CHARITY


def is_police_intelligence(*, source_agency_kind: AgencyKind, category: FactCategory) -> bool:
    return source_agency_kind == AgencyKind.POLICE or category in POLICE_INTELLIGENCE_CATEGORIES


# Children and episodes


def can_view_child_record(actor: Actor) -> bool:
    """The full record: identity, every agency's facts, history, plans."""
    return is_casework(actor)


def can_view_episode(actor: Actor, *, debrief_provider_code: str | None) -> bool:
    """Casework staff see every episode; a debrief worker only those their agency was asked to debrief."""
    if is_casework(actor):
        return True
    return (
        is_debrief_worker(actor)
        and debrief_provider_code is not None
        and (debrief_provider_code == actor.agency_code)
    )


def can_view_fact(
    actor: Actor, *, source_agency_code: str, source_agency_kind: AgencyKind, category: FactCategory
) -> bool:
    if is_casework(actor):
        return True
    if is_debrief_worker(actor):
        return source_agency_code == actor.agency_code and not is_police_intelligence(
            source_agency_kind=source_agency_kind, category=category
        )
    return False


def can_view_risk_assessment(actor: Actor) -> bool:
    """Risk grading and its rationale draw on police intelligence."""
    return is_casework(actor)


def can_report_episode(actor: Actor) -> bool:
    return _partner(actor) and actor.role in {
        Role.POLICE_COORDINATOR,
        Role.POLICE_SUPERVISOR,
        Role.SOCIAL_WORKER,
    }


def can_grade_risk(actor: Actor) -> bool:
    return _partner(actor) and actor.role in POLICE_ROLES and actor.agency_kind == AgencyKind.POLICE


def can_confirm_risk(actor: Actor) -> bool:
    return _partner(actor) and actor.role == Role.POLICE_SUPERVISOR and actor.agency_kind == AgencyKind.POLICE


def can_record_return(actor: Actor) -> bool:
    return can_grade_risk(actor)


def can_agree_response_plan(actor: Actor) -> bool:
    return _partner(actor) and actor.role in {
        Role.POLICE_COORDINATOR,
        Role.POLICE_SUPERVISOR,
        Role.SOCIAL_WORKER,
    }


def can_manage_identities(actor: Actor) -> bool:
    """Review possible matches between agency records, and split a wrongly merged identity."""
    return _partner(actor) and actor.role in {
        Role.POLICE_COORDINATOR,
        Role.POLICE_SUPERVISOR,
        Role.SOCIAL_WORKER,
    }


# Debriefs and referrals


def can_view_debrief_content(actor: Actor, *, provider_code: str) -> bool:
    """What the child said stays with the charity; only what may be shared flows back as facts."""
    return is_debrief_worker(actor) and actor.agency_code == provider_code


def can_view_debrief_status(actor: Actor, *, provider_code: str) -> bool:
    return is_casework(actor) or can_view_debrief_content(actor, provider_code=provider_code)


def can_record_debrief(actor: Actor, *, provider_code: str) -> bool:
    return can_view_debrief_content(actor, provider_code=provider_code)


def can_make_referral(actor: Actor) -> bool:
    return is_casework(actor) or is_debrief_worker(actor)


def can_view_referral(actor: Actor, *, debrief_provider_code: str | None) -> bool:
    """Referrals are part of the child's record (casework), or of the debrief they came from (its provider)."""
    if is_casework(actor):
        return True
    return (
        is_debrief_worker(actor)
        and debrief_provider_code is not None
        and debrief_provider_code == actor.agency_code
    )


# Oversight


def can_view_dashboard(actor: Actor) -> bool:
    return _partner(actor) and (actor.role in CASEWORK_ROLES or actor.role == Role.ANALYST)


def can_view_audit_trail(actor: Actor) -> bool:
    return _partner(actor) and actor.role == Role.IG_AUDITOR


# Agency data


def can_import_agency_data(actor: Actor, *, agency_code: str) -> bool:
    """An agency's administrator (its data manager) loads that agency's files; nobody loads another's."""
    return _partner(actor) and actor.role == Role.ADMINISTRATOR and actor.agency_code == agency_code


def can_view_import_history(actor: Actor, *, agency_code: str) -> bool:
    """Who imported what, when, with counts: the agency's administrators, and the information-governance
    auditor for every agency. The rejected values in an error report are for the importing agency only."""
    return can_import_agency_data(actor, agency_code=agency_code) or (
        _partner(actor) and actor.role == Role.IG_AUDITOR
    )
