"""Hafan's access policy: pure functions of who is asking and what they ask about.

No database, no models: tests/unit/test_policy.py checks every function as a truth table
(every role x every kind of record). Views, the API and selectors ask these questions through
hafan.sharing.access, never by testing roles themselves.

The rules (docs/adr/0002-access-policy.md and 0005-information-governance.md explain why):
- Hub casework staff of partner agencies (police, social care, health, education) see every child's
  record: in a MASH, information is seen and assessed inside the hub. Casework staff outside the hub see
  only the children allocated to them (or opened in an emergency, "break-glass").
- Each fact is shown to another agency's staff only when an active sharing agreement covers it, the access
  table (FACT_ACCESS, also written out as policy/fact-access.csv) allows the viewer's role, relation and
  the fact's data category, and the fact's handling rule allows it. The owning agency always sees its own.
- The charity's debrief worker sees only the episodes its agency was asked to debrief, and of a
  child's facts only its own and debrief disclosures: never police intelligence, even in an emergency.
- Managers and analysts see figures, not children. The information-governance auditor sees the
  audit trail, not children. Administrators manage staff accounts, not children.
- Anyone from an agency outside the partnership sees nothing.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass

from hafan.core.vocabulary import (
    AgencyKind,
    DataCategory,
    FactCategory,
    Handling,
    Purpose,
    Relation,
    Role,
    ShareBasis,
)


@dataclass(frozen=True)
class Actor:
    role: Role | None
    agency_code: str | None
    agency_kind: AgencyKind | None
    in_partnership: bool
    is_active: bool = True
    # Works in the hub team (most staff). Partner staff outside it see only the children allocated to them.
    hub_member: bool = True


@dataclass(frozen=True)
class FactLabel:
    """What the policy needs to know about one fact: who supplied it, what it is, how it may travel."""

    source_agency_code: str
    source_agency_kind: AgencyKind
    data_category: DataCategory
    handling: Handling
    share_basis: ShareBasis = ShareBasis.NONE
    restricted: bool = False


# (providing agency code, receiving agency code, data category) for every share an active agreement covers.
ShareGraph = Collection[tuple[str, str, str]]


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


def sees_every_child(actor: Actor) -> bool:
    """Hub casework staff see every child's record (lists, the repeat-missing list, names on the dashboard)."""
    return is_casework(actor) and actor.hub_member


def can_view_child_record(actor: Actor, *, relation: Relation) -> bool:
    """The child's record: identity, history, plans, and the facts the user may see (can_view_fact)."""
    return is_casework(actor) and relation in {Relation.ALLOCATED, Relation.HUB_MEMBER, Relation.BREAK_GLASS}


def can_view_episode(actor: Actor, *, debrief_provider_code: str | None, relation: Relation) -> bool:
    """Casework staff see the episodes of the children whose record they may see; a debrief worker only
    those their agency was asked to debrief."""
    if can_view_child_record(actor, relation=relation):
        return True
    return (
        is_debrief_worker(actor)
        and debrief_provider_code is not None
        and (debrief_provider_code == actor.agency_code)
    )


_ALL = frozenset(DataCategory)
_NONE: frozenset[DataCategory] = frozenset()
_CASEWORK_ROW = {
    Relation.ALLOCATED: _ALL,
    Relation.HUB_MEMBER: _ALL,
    Relation.BREAK_GLASS: _ALL,
    Relation.NONE: _NONE,
}
# The access table: role x relation -> the data categories another agency's facts may be shown in.
# policy/fact-access.csv writes the same table out for people; tests/unit/test_policy.py checks they agree.
FACT_ACCESS: dict[Role, dict[Relation, frozenset[DataCategory]]] = {
    Role.POLICE_COORDINATOR: _CASEWORK_ROW,
    Role.POLICE_SUPERVISOR: _CASEWORK_ROW,
    Role.SOCIAL_WORKER: _CASEWORK_ROW,
    Role.HEALTH_NURSE: _CASEWORK_ROW,
    Role.EDUCATION_WORKER: _CASEWORK_ROW,
    # The charity hears the child; it never receives police intelligence or health records, emergency or not.
    Role.DEBRIEF_WORKER: {
        Relation.ALLOCATED: frozenset({DataCategory.DEBRIEF_DISCLOSURE}),
        Relation.HUB_MEMBER: _NONE,
        Relation.BREAK_GLASS: _NONE,
        Relation.NONE: _NONE,
    },
    Role.ANALYST: dict.fromkeys(Relation, _NONE),
    Role.IG_AUDITOR: dict.fromkeys(Relation, _NONE),
    Role.ADMINISTRATOR: dict.fromkeys(Relation, _NONE),
}
# Why a fact may be shown at all: the hub's casework purposes. Audit and administration never show facts.
FACT_PURPOSES = frozenset({Purpose.MISSING_EPISODE, Purpose.PLANNING, Purpose.REFERRAL, Purpose.DEBRIEF})


def table_allows(role: Role, relation: Relation, data_category: DataCategory) -> bool:
    return data_category in FACT_ACCESS.get(role, {}).get(relation, _NONE)


def handling_allows(actor: Actor, *, fact: FactLabel, relation: Relation) -> bool:
    """The fact's handling rule, for a viewer outside the agency that supplied it."""
    if fact.handling == Handling.HUB_ONLY:
        return relation in {Relation.HUB_MEMBER, Relation.BREAK_GLASS} or (
            relation == Relation.ALLOCATED and actor.hub_member
        )
    if fact.handling == Handling.NEED_TO_KNOW:
        return relation in {Relation.ALLOCATED, Relation.BREAK_GLASS}
    if fact.handling == Handling.NOT_TO_CHARITY:
        return actor.agency_kind != AgencyKind.CHARITY
    if fact.handling == Handling.CONSENT_OR_SAFEGUARDING:
        return fact.share_basis in {ShareBasis.CONSENT, ShareBasis.SAFEGUARDING}
    return False  # an unknown rule shares nothing


def can_view_fact(
    actor: Actor, *, fact: FactLabel, relation: Relation, shares: ShareGraph, purpose: Purpose
) -> bool:
    """One fact, for one viewer. The agency that supplied it always sees it; anyone else needs all of: a
    casework purpose, the fact not restricted by its owner, an active agreement covering this share, the
    access table, and the fact's handling rule."""
    if not (is_casework(actor) or is_debrief_worker(actor)) or purpose not in FACT_PURPOSES:
        return False
    if actor.agency_code == fact.source_agency_code:
        return True
    if fact.restricted:
        return False
    if is_debrief_worker(actor) and (
        fact.source_agency_kind == AgencyKind.POLICE or fact.data_category == DataCategory.POLICE_INTELLIGENCE
    ):
        return (
            False  # belt and braces: police intelligence never reaches the charity, whatever the table says
        )
    if (fact.source_agency_code, actor.agency_code or "", fact.data_category) not in shares:
        return False
    if actor.role is None or not table_allows(Role(actor.role), relation, fact.data_category):
        return False
    return handling_allows(actor, fact=fact, relation=relation)


def can_restrict_fact(actor: Actor, *, source_agency_code: str) -> bool:
    """The agency that supplied a fact may restrict it to its own staff (and lift that restriction)."""
    return (is_casework(actor) or is_debrief_worker(actor)) and actor.agency_code == source_agency_code


def can_allocate(actor: Actor) -> bool:
    """Allocate a worker to a child (or end an allocation): hub casework staff who run cases."""
    return sees_every_child(actor) and actor.role in {
        Role.POLICE_SUPERVISOR,
        Role.POLICE_COORDINATOR,
        Role.SOCIAL_WORKER,
    }


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
    """Review possible matches between agency records, and split a wrongly merged identity: the review queue
    shows any child's records, so it is for the hub team only."""
    return sees_every_child(actor) and actor.role in {
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


def debrief_contact_source(
    actor: Actor,
    *,
    provider_code: str,
    source_agency_kind: AgencyKind,
    source_agency_code: str,
    responsible_council_code: str | None,
) -> bool:
    """Issue 7: where the debrief worker may read the child's address, postcode and phone to make contact: the
    current records of the council responsible for the child (its social care and its schools), never the
    police's or the health board's."""
    return (
        can_view_debrief_content(actor, provider_code=provider_code)
        and source_agency_kind == AgencyKind.COUNCIL
        and responsible_council_code is not None
        and source_agency_code == responsible_council_code
    )


def can_make_referral(actor: Actor) -> bool:
    return is_casework(actor) or is_debrief_worker(actor)


def can_view_referral(
    actor: Actor,
    *,
    debrief_provider_code: str | None,
    service_provider_code: str | None = None,
    is_referrer: bool = False,
) -> bool:
    """Referrals are part of the child's record (casework), of the debrief they came from (its provider), and of
    the service they were sent to (the partner agency that runs it answers them); the referrer sees their own."""
    if is_casework(actor):
        return True
    if not is_debrief_worker(actor):
        return False
    return is_referrer or (
        actor.agency_code is not None and actor.agency_code in {debrief_provider_code, service_provider_code}
    )


def can_view_service_directory(actor: Actor) -> bool:
    """The directory of services, with each one's load: whoever makes or answers referrals."""
    return can_make_referral(actor)


def can_respond_to_referral(
    actor: Actor, *, service_provider_code: str | None, referrer_agency_code: str | None
) -> bool:
    """Accepting, declining, starting and completing a referral (and an NRM decision): the staff of the partner
    agency that runs the service; for a service outside the partnership, the referring agency's staff or hub
    casework staff record the service's answer on its behalf."""
    if not can_make_referral(actor):
        return False
    if service_provider_code:
        return actor.agency_code == service_provider_code
    return actor.agency_code == referrer_agency_code or sees_every_child(actor)


def can_withdraw_referral(actor: Actor, *, referrer_agency_code: str | None) -> bool:
    """The referring side withdraws a referral: the referring agency's staff, or hub casework staff."""
    return can_make_referral(actor) and (actor.agency_code == referrer_agency_code or sees_every_child(actor))


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


# --- added by agreements (issue 5: sharing agreements, break-glass, the disclosure log)


def _ig_officer(actor: Actor) -> bool:
    return _partner(actor) and actor.role == Role.IG_AUDITOR


def can_manage_agreements(actor: Actor) -> bool:
    """The information-governance officer maintains the sharing agreements (create, edit, parties, status)."""
    return _ig_officer(actor)


def can_view_agreements(actor: Actor) -> bool:
    """Casework staff read the active agreements (the basis they share on); the IG officer reads them all."""
    return is_casework(actor) or _ig_officer(actor)


def can_break_glass(actor: Actor) -> bool:
    """Emergency access to one child's record is for casework staff of partner agencies only."""
    return is_casework(actor)


def can_review_break_glass(actor: Actor) -> bool:
    return _ig_officer(actor)


def can_view_disclosures(actor: Actor) -> bool:
    """The disclosure log, and recording whether the child or family was told."""
    return _ig_officer(actor)


# --- added by rights (issue 5 item 9: subject access, rectification, retention)


def can_handle_subject_access(actor: Actor) -> bool:
    """Subject-access requests: create them and download a child's export for redaction review."""
    return _partner(actor) and actor.role == Role.IG_AUDITOR


def can_manage_legal_holds(actor: Actor) -> bool:
    """Place and lift legal holds, which keep a child's data past its retention period."""
    return _partner(actor) and actor.role == Role.IG_AUDITOR


def can_rectify_fact(actor: Actor, *, source_agency_code: str) -> bool:
    """Correct an inaccurate fact: staff who work with children at the agency that supplied it (not its
    analysts or account administrators), or the information-governance officer of the partnership."""
    if not _partner(actor):
        return False
    if actor.role == Role.IG_AUDITOR:
        return True
    return actor.agency_code == source_agency_code and (
        actor.role in CASEWORK_ROLES or actor.role == Role.DEBRIEF_WORKER
    )


def can_rectify_child_identity(actor: Actor) -> bool:
    """Correct the hub identity (name, date of birth): the staff who manage identities, or the
    information-governance officer."""
    return can_manage_identities(actor) or (_partner(actor) and actor.role == Role.IG_AUDITOR)


# --- Risk and response (issue 6). Each feature adds its questions under its own heading.

# Issue 6 / information call

# Which role answers an information call for each service (episodes.InformationService values: the policy
# imports no models, so the services are named by value).
INFORMATION_SERVICE_ROLES: dict[str, Role] = {
    "social_care": Role.SOCIAL_WORKER,
    "education": Role.EDUCATION_WORKER,
    "health": Role.HEALTH_NURSE,
    "debrief": Role.DEBRIEF_WORKER,
}


def can_answer_information_request(actor: Actor, *, agency_code: str, service: str) -> bool:
    """Answer an agency's part of an information call: a worker of the asked agency whose role serves the
    asked service, in the hub team (the charity's debrief workers are never in it, and answer for it)."""
    if not _partner(actor) or actor.agency_code != agency_code:
        return False
    if INFORMATION_SERVICE_ROLES.get(service) != actor.role:
        return False
    return is_debrief_worker(actor) or (is_casework(actor) and actor.hub_member)


# Issue 6 / risk questions and reviews


def can_view_review_list(actor: Actor) -> bool:
    """The list of risk reviews overdue and episodes not yet graded: the hub's police, who grade and review."""
    return can_grade_risk(actor) and actor.hub_member


# Issue 6 / response plan


def can_decide_response_plan(actor: Actor, *, is_named_worker: bool, same_council: bool) -> bool:
    """Agree (or refuse) a proposed response plan: the child's case-holding social worker named on the plan or,
    when the plan names nobody (no case holder), a social worker of the child's responsible council
    (`same_council` is only true then). In the hub team or outside it: the case holder need not be in the hub."""
    return _partner(actor) and actor.role == Role.SOCIAL_WORKER and (is_named_worker or same_council)


# Issue 6 / child information profile and the printable briefing


def _profile_social_worker(actor: Actor, *, relation: Relation) -> bool:
    """A social worker in the hub team, or one allocated to the child (a council outside the hub)."""
    if not (is_casework(actor) and actor.role == Role.SOCIAL_WORKER):
        return False
    return relation == Relation.ALLOCATED or (actor.hub_member and relation != Relation.NONE)


def can_prepare_profile(actor: Actor, *, relation: Relation) -> bool:
    """The child information profile (Philomena protocol) is the council's: its social workers prepare it."""
    return _profile_social_worker(actor, relation=relation)


def can_view_profile(actor: Actor, *, relation: Relation, child_missing: bool) -> bool:
    """Social workers (hub or allocated) always; hub police only while the child is missing, when the protocol
    releases the profile to them. Nobody else: it describes a child who is not missing to no one outside care."""
    if _profile_social_worker(actor, relation=relation):
        return True
    return (
        child_missing
        and is_casework(actor)
        and actor.role in POLICE_ROLES
        and actor.agency_kind == AgencyKind.POLICE
        and actor.hub_member
        and relation != Relation.NONE
    )


# Issue 6 / notifications and assignment


def can_assign_episode(actor: Actor) -> bool:
    """Assign a missing episode to an officer or coordinator (and be assigned one): hub police coordinators and
    supervisors of a partner force."""
    return sees_every_child(actor) and actor.role in POLICE_ROLES and actor.agency_kind == AgencyKind.POLICE


# Issue 6 / triggers, hub tasks and screening


def can_view_hub_tasks(actor: Actor) -> bool:
    """The hub's task list (strategy meetings, exploitation reviews): hub casework staff."""
    return sees_every_child(actor)


def can_view_hub_task(actor: Actor, *, relation: Relation) -> bool:
    """One child's hub task: hub casework staff, and casework staff allocated to the child (the case holder
    is told about it even when they work outside the hub)."""
    if not can_view_child_record(actor, relation=relation):
        return False
    return can_view_hub_tasks(actor) or relation == Relation.ALLOCATED


def can_complete_hub_task(actor: Actor) -> bool:
    """Record a task's outcome (the meeting held, the review done): the hub's police and social workers."""
    return sees_every_child(actor) and actor.role in {
        Role.POLICE_COORDINATOR,
        Role.POLICE_SUPERVISOR,
        Role.SOCIAL_WORKER,
    }


def can_screen_exploitation(actor: Actor, *, relation: Relation) -> bool:
    """The SERAF-style exploitation screening: hub casework staff, and social workers allocated to the child."""
    if not can_view_child_record(actor, relation=relation):
        return False
    return actor.hub_member or (relation == Relation.ALLOCATED and actor.role == Role.SOCIAL_WORKER)


# Issue 7 / patterns across children


def can_view_patterns(actor: Actor) -> bool:
    """Places, co-missing groups: hub casework staff. They name children, so analysts see figures elsewhere,
    and the charity (which never sees police intelligence) does not see them."""
    return sees_every_child(actor)


def can_view_persons_of_concern(actor: Actor) -> bool:
    """Adults named across several debriefs or reports: police and hub members only (the hub's casework staff,
    and partnership police wherever they sit)."""
    if sees_every_child(actor):
        return True
    return is_casework(actor) and actor.role in POLICE_ROLES and actor.agency_kind == AgencyKind.POLICE


# Issue 7 / the young person's feedback


def can_ask_for_feedback(actor: Actor, *, provider_code: str) -> bool:
    """The one-time feedback link is sent by the service the child talked to: its own debrief workers."""
    return can_record_debrief(actor, provider_code=provider_code)


def can_view_feedback_results(actor: Actor) -> bool:
    """Feedback counted per service: the charity's debrief workers, analysts and hub casework staff."""
    return (
        is_debrief_worker(actor)
        or sees_every_child(actor)
        or (_partner(actor) and actor.role == Role.ANALYST)
    )


def can_view_feedback_service(actor: Actor, *, provider_code: str) -> bool:
    """Which services' rows: a debrief worker sees their own service's; analysts and hub casework staff every
    service's."""
    if is_debrief_worker(actor):
        return actor.agency_code == provider_code
    return can_view_feedback_results(actor)


def can_view_exact_feedback_counts(actor: Actor, *, provider_code: str) -> bool:
    """Counts below HAFAN_SMALL_NUMBER_THRESHOLD are shown as "fewer than N" to anyone outside the service
    asked about: with a handful of answers, a count can point at one young person."""
    return can_view_debrief_content(actor, provider_code=provider_code)


def can_view_feedback_comments(actor: Actor, *, provider_code: str) -> bool:
    """What the young person wrote is addressed to the service: its debrief workers read it, never analysts or
    the hub."""
    return can_view_debrief_content(actor, provider_code=provider_code)
