"""The access policy as a truth table: every actor x every question, each cell a named test.

Each question lists, by hand, the actors who may: a change to hafan.sharing.policy that alters who may see or
do what must change this file too, and the failing test names the actor and the question. The table of who
sees which kind of fact (role x relation x data category) is written out for people in
policy/fact-access.csv; test_fact_access_table_matches_the_policy checks the policy against that file.
"""

from __future__ import annotations

import csv
import inspect
import itertools
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

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
from hafan.sharing import policy
from hafan.sharing.policy import Actor, FactLabel

PROVIDER = "LLAMAU"
OTHER_CHARITY = "BARNARDOS"
PARTNERS = ["GWP", "NCC", "CCBC", "ABUHB", PROVIDER]
KIND = {"GWP": AgencyKind.POLICE, "NCC": AgencyKind.COUNCIL, "CCBC": AgencyKind.COUNCIL,
        "ABUHB": AgencyKind.HEALTH, PROVIDER: AgencyKind.CHARITY}  # fmt: skip
# The hub's protocol: every partner shares every category with every other partner.
ALL_SHARES = frozenset((p, r, c) for p, r in itertools.permutations(PARTNERS, 2) for c in DataCategory.values)
NO_SHARES: frozenset[tuple[str, str, str]] = frozenset()

ACTORS: dict[str, Actor] = {
    "coordinator": Actor(Role.POLICE_COORDINATOR, "GWP", AgencyKind.POLICE, in_partnership=True),
    "supervisor": Actor(Role.POLICE_SUPERVISOR, "GWP", AgencyKind.POLICE, in_partnership=True),
    "social_worker": Actor(Role.SOCIAL_WORKER, "NCC", AgencyKind.COUNCIL, in_partnership=True),
    "nurse": Actor(Role.HEALTH_NURSE, "ABUHB", AgencyKind.HEALTH, in_partnership=True),
    "education_worker": Actor(Role.EDUCATION_WORKER, "CCBC", AgencyKind.COUNCIL, in_partnership=True),
    # A council social worker who is not in the hub team: sees only the children allocated to them.
    "outside_hub": Actor(
        Role.SOCIAL_WORKER, "CCBC", AgencyKind.COUNCIL, in_partnership=True, hub_member=False
    ),
    "debrief_worker": Actor(
        Role.DEBRIEF_WORKER, PROVIDER, AgencyKind.CHARITY, in_partnership=True, hub_member=False
    ),
    "analyst": Actor(Role.ANALYST, "GWP", AgencyKind.POLICE, in_partnership=True),
    "ig_auditor": Actor(Role.IG_AUDITOR, "ABUHB", AgencyKind.HEALTH, in_partnership=True),
    "administrator": Actor(Role.ADMINISTRATOR, "GWP", AgencyKind.POLICE, in_partnership=True),
    # A coordinator whose account has been switched off: the most privileged role, so the strongest check.
    "inactive": Actor(
        Role.POLICE_COORDINATOR, "GWP", AgencyKind.POLICE, in_partnership=True, is_active=False
    ),
    "no_role": Actor(None, "GWP", AgencyKind.POLICE, in_partnership=True),
    "outsider": Actor(Role.POLICE_COORDINATOR, "DPP", AgencyKind.POLICE, in_partnership=False),
}

CASEWORK = {"coordinator", "supervisor", "social_worker", "nurse", "education_worker", "outside_hub"}
HUB_CASEWORK = CASEWORK - {"outside_hub"}
POLICE = {"coordinator", "supervisor"}
NOBODY: set[str] = set()


def _label(code: str, category: DataCategory, handling: Handling, **kw: Any) -> FactLabel:
    return FactLabel(code, KIND.get(code, AgencyKind.POLICE), category, handling, **kw)


def _fact(
    label: FactLabel,
    relation: Relation = Relation.HUB_MEMBER,
    shares: frozenset[tuple[str, str, str]] = ALL_SHARES,
    purpose: Purpose = Purpose.MISSING_EPISODE,
) -> Callable[[Actor], bool]:
    return lambda a: policy.can_view_fact(a, fact=label, relation=relation, shares=shares, purpose=purpose)


POLICE_INTEL = _label("GWP", DataCategory.POLICE_INTELLIGENCE, Handling.HUB_ONLY)
HEALTH = _label("ABUHB", DataCategory.HEALTH, Handling.NOT_TO_CHARITY)
SOCIAL_CARE = _label("NCC", DataCategory.SOCIAL_CARE, Handling.NOT_TO_CHARITY)
DEBRIEF_SHARED = _label(PROVIDER, DataCategory.DEBRIEF_DISCLOSURE, Handling.CONSENT_OR_SAFEGUARDING,
                        share_basis=ShareBasis.CONSENT)  # fmt: skip
DEBRIEF_UNSHARED = _label(PROVIDER, DataCategory.DEBRIEF_DISCLOSURE, Handling.CONSENT_OR_SAFEGUARDING)
HEALTH_NEED_TO_KNOW = _label("ABUHB", DataCategory.HEALTH, Handling.NEED_TO_KNOW)
HEALTH_RESTRICTED = _label("ABUHB", DataCategory.HEALTH, Handling.NOT_TO_CHARITY, restricted=True)
# Partner-only agencies that only share with each other, not with the charity: for the debrief worker.
SHARES_TO_CHARITY = frozenset(
    (p, PROVIDER, c) for p in PARTNERS if p != PROVIDER for c in DataCategory.values
)

# question -> (how to ask it, who may). Who may is written out by hand.
QUESTIONS: dict[str, tuple[Callable[[Actor], bool], set[str]]] = {
    "can_view_child_record[hub_member]": (
        lambda a: policy.can_view_child_record(a, relation=Relation.HUB_MEMBER), CASEWORK),
    "can_view_child_record[allocated]": (
        lambda a: policy.can_view_child_record(a, relation=Relation.ALLOCATED), CASEWORK),
    "can_view_child_record[break_glass]": (
        lambda a: policy.can_view_child_record(a, relation=Relation.BREAK_GLASS), CASEWORK),
    "can_view_child_record[none]": (lambda a: policy.can_view_child_record(a, relation=Relation.NONE), NOBODY),
    "can_view_episode[LLAMAU, none]": (
        lambda a: policy.can_view_episode(a, debrief_provider_code=PROVIDER, relation=Relation.NONE),
        {"debrief_worker"}),
    "can_view_episode[no debrief, hub_member]": (
        lambda a: policy.can_view_episode(a, debrief_provider_code=None, relation=Relation.HUB_MEMBER), CASEWORK),
    "can_view_episode[no debrief, none]": (
        lambda a: policy.can_view_episode(a, debrief_provider_code=None, relation=Relation.NONE), NOBODY),
    # Facts, as a hub member would see them under the hub's protocol.
    "can_view_fact[police intelligence]": (_fact(POLICE_INTEL), HUB_CASEWORK | {"outside_hub"}),
    "can_view_fact[health]": (_fact(HEALTH), CASEWORK),
    "can_view_fact[social care]": (_fact(SOCIAL_CARE), CASEWORK),
    "can_view_fact[debrief, shared with consent]": (_fact(DEBRIEF_SHARED), CASEWORK | {"debrief_worker"}),
    "can_view_fact[debrief, no basis]": (_fact(DEBRIEF_UNSHARED), {"debrief_worker"}),
    "can_view_fact[health, need to know]": (_fact(HEALTH_NEED_TO_KNOW), {"nurse"}),
    "can_view_fact[health, need to know, allocated]": (
        _fact(HEALTH_NEED_TO_KNOW, Relation.ALLOCATED), CASEWORK),
    "can_view_fact[health, restricted by owner]": (_fact(HEALTH_RESTRICTED), {"nurse"}),
    "can_view_fact[police intelligence, no agreement]": (_fact(POLICE_INTEL, shares=NO_SHARES), POLICE),
    "can_view_fact[police intelligence, allocated]": (
        _fact(POLICE_INTEL, Relation.ALLOCATED), HUB_CASEWORK),
    "can_view_fact[police intelligence, break glass]": (
        _fact(POLICE_INTEL, Relation.BREAK_GLASS), CASEWORK),
    "can_view_fact[police intelligence, allocated, shared to charity]": (
        _fact(POLICE_INTEL, Relation.ALLOCATED, shares=SHARES_TO_CHARITY), POLICE),
    "can_view_fact[social care, allocated, shared to charity]": (
        _fact(SOCIAL_CARE, Relation.ALLOCATED, shares=SHARES_TO_CHARITY), {"social_worker"}),
    "can_view_fact[social care, no relation]": (_fact(SOCIAL_CARE, Relation.NONE), {"social_worker"}),
    "can_view_fact[social care, audit purpose]": (_fact(SOCIAL_CARE, purpose=Purpose.AUDIT), NOBODY),
    "can_restrict_fact[ABUHB]": (
        lambda a: policy.can_restrict_fact(a, source_agency_code="ABUHB"), {"nurse"}),
    "can_restrict_fact[LLAMAU]": (
        lambda a: policy.can_restrict_fact(a, source_agency_code=PROVIDER), {"debrief_worker"}),
    "can_allocate": (policy.can_allocate, {"coordinator", "supervisor", "social_worker"}),
    "can_view_risk_assessment": (policy.can_view_risk_assessment, CASEWORK),
    "can_report_episode": (policy.can_report_episode, {"coordinator", "supervisor", "social_worker", "outside_hub"}),
    "can_grade_risk": (policy.can_grade_risk, POLICE),
    "can_confirm_risk": (policy.can_confirm_risk, {"supervisor"}),
    "can_record_return": (policy.can_record_return, POLICE),
    "can_agree_response_plan": (
        policy.can_agree_response_plan, {"coordinator", "supervisor", "social_worker", "outside_hub"}),
    "can_view_debrief_content[LLAMAU]": (
        lambda a: policy.can_view_debrief_content(a, provider_code=PROVIDER), {"debrief_worker"}),
    "can_view_debrief_status[LLAMAU]": (
        lambda a: policy.can_view_debrief_status(a, provider_code=PROVIDER), CASEWORK | {"debrief_worker"}),
    "can_record_debrief[LLAMAU]": (
        lambda a: policy.can_record_debrief(a, provider_code=PROVIDER), {"debrief_worker"}),
    # Issue 7: the debrief worker reads contact details from the responsible council's records only.
    "debrief_contact_source[responsible council]": (
        lambda a: policy.debrief_contact_source(a, provider_code=PROVIDER, source_agency_kind=AgencyKind.COUNCIL,
                                                source_agency_code="NCC", responsible_council_code="NCC"),
        {"debrief_worker"}),
    "debrief_contact_source[another council]": (
        lambda a: policy.debrief_contact_source(a, provider_code=PROVIDER, source_agency_kind=AgencyKind.COUNCIL,
                                                source_agency_code="TCBC", responsible_council_code="NCC"),
        NOBODY),
    "debrief_contact_source[police]": (
        lambda a: policy.debrief_contact_source(a, provider_code=PROVIDER, source_agency_kind=AgencyKind.POLICE,
                                                source_agency_code="GWP", responsible_council_code="GWP"),
        NOBODY),
    "debrief_contact_source[health]": (
        lambda a: policy.debrief_contact_source(a, provider_code=PROVIDER, source_agency_kind=AgencyKind.HEALTH,
                                                source_agency_code="ABUHB", responsible_council_code=None),
        NOBODY),
    "can_make_referral": (policy.can_make_referral, CASEWORK | {"debrief_worker"}),
    "can_view_dashboard": (policy.can_view_dashboard, CASEWORK | {"analyst"}),
    "can_view_audit_trail": (policy.can_view_audit_trail, {"ig_auditor"}),
    "can_view_referral[LLAMAU debrief]": (
        lambda a: policy.can_view_referral(a, debrief_provider_code=PROVIDER), CASEWORK | {"debrief_worker"}),
    "can_view_referral[no debrief]": (lambda a: policy.can_view_referral(a, debrief_provider_code=None), CASEWORK),
    # Issue 7: referrals followed through. The partner agency running the service answers its referrals.
    "can_view_referral[to LLAMAU's service]": (
        lambda a: policy.can_view_referral(a, debrief_provider_code=None, service_provider_code=PROVIDER),
        CASEWORK | {"debrief_worker"}),
    "can_view_referral[sent by them]": (
        lambda a: policy.can_view_referral(a, debrief_provider_code=None, is_referrer=True),
        CASEWORK | {"debrief_worker"}),
    "can_view_service_directory": (policy.can_view_service_directory, CASEWORK | {"debrief_worker"}),
    "can_respond_to_referral[ABUHB's service]": (
        lambda a: policy.can_respond_to_referral(a, service_provider_code="ABUHB", referrer_agency_code="NCC"),
        {"nurse"}),
    "can_respond_to_referral[LLAMAU's service]": (
        lambda a: policy.can_respond_to_referral(a, service_provider_code=PROVIDER, referrer_agency_code="GWP"),
        {"debrief_worker"}),
    # An outside service: the referring agency (even outside the hub team) or hub casework staff answer for it.
    "can_respond_to_referral[outside service, CCBC referred]": (
        lambda a: policy.can_respond_to_referral(a, service_provider_code=None, referrer_agency_code="CCBC"),
        HUB_CASEWORK | {"outside_hub"}),
    "can_respond_to_referral[outside service, LLAMAU referred]": (
        lambda a: policy.can_respond_to_referral(a, service_provider_code=None, referrer_agency_code=PROVIDER),
        HUB_CASEWORK | {"debrief_worker"}),
    "can_withdraw_referral[LLAMAU referred]": (
        lambda a: policy.can_withdraw_referral(a, referrer_agency_code=PROVIDER), HUB_CASEWORK | {"debrief_worker"}),
    "can_withdraw_referral[CCBC referred]": (
        lambda a: policy.can_withdraw_referral(a, referrer_agency_code="CCBC"), HUB_CASEWORK | {"outside_hub"}),
    "can_manage_identities": (
        policy.can_manage_identities, {"coordinator", "supervisor", "social_worker"}),
    "can_import_agency_data[GWP]": (
        lambda a: policy.can_import_agency_data(a, agency_code="GWP"), {"administrator"}),
    "can_import_agency_data[NCC]": (lambda a: policy.can_import_agency_data(a, agency_code="NCC"), NOBODY),
    "can_view_import_history[GWP]": (
        lambda a: policy.can_view_import_history(a, agency_code="GWP"), {"administrator", "ig_auditor"}),
    # Information governance: the IG officer maintains agreements, reviews emergency access and the disclosures.
    "can_manage_agreements": (policy.can_manage_agreements, {"ig_auditor"}),
    "can_view_agreements": (policy.can_view_agreements, CASEWORK | {"ig_auditor"}),
    "can_break_glass": (policy.can_break_glass, CASEWORK),
    "can_review_break_glass": (policy.can_review_break_glass, {"ig_auditor"}),
    "can_view_disclosures": (policy.can_view_disclosures, {"ig_auditor"}),
    # Rights: subject access, legal holds and rectification.
    "can_handle_subject_access": (policy.can_handle_subject_access, {"ig_auditor"}),
    "can_manage_legal_holds": (policy.can_manage_legal_holds, {"ig_auditor"}),
    "can_rectify_fact[ABUHB]": (
        lambda a: policy.can_rectify_fact(a, source_agency_code="ABUHB"), {"nurse", "ig_auditor"}),
    "can_rectify_fact[LLAMAU]": (
        lambda a: policy.can_rectify_fact(a, source_agency_code=PROVIDER), {"debrief_worker", "ig_auditor"}),
    "can_rectify_child_identity": (
        policy.can_rectify_child_identity, {"coordinator", "supervisor", "social_worker", "ig_auditor"}),
    # Issue 6 / information call
    "can_answer_information_request[NCC, social care]": (
        lambda a: policy.can_answer_information_request(a, agency_code="NCC", service="social_care"),
        {"social_worker"}),
    # Caerphilly's own social worker is outside the hub team: the hub's worker answers, not them.
    "can_answer_information_request[CCBC, social care]": (
        lambda a: policy.can_answer_information_request(a, agency_code="CCBC", service="social_care"), NOBODY),
    "can_answer_information_request[CCBC, education]": (
        lambda a: policy.can_answer_information_request(a, agency_code="CCBC", service="education"),
        {"education_worker"}),
    "can_answer_information_request[NCC, education]": (
        lambda a: policy.can_answer_information_request(a, agency_code="NCC", service="education"), NOBODY),
    "can_answer_information_request[ABUHB, health]": (
        lambda a: policy.can_answer_information_request(a, agency_code="ABUHB", service="health"), {"nurse"}),
    "can_answer_information_request[LLAMAU, debrief]": (
        lambda a: policy.can_answer_information_request(a, agency_code=PROVIDER, service="debrief"),
        {"debrief_worker"}),
    "can_answer_information_request[GWP, social care]": (
        lambda a: policy.can_answer_information_request(a, agency_code="GWP", service="social_care"), NOBODY),
    # Issue 6 / risk questions and reviews
    "can_view_review_list": (policy.can_view_review_list, POLICE),
    # Issue 6 / response plan
    "can_decide_response_plan[named worker]": (
        lambda a: policy.can_decide_response_plan(a, is_named_worker=True, same_council=False),
        {"social_worker", "outside_hub"}),
    "can_decide_response_plan[nobody named, same council]": (
        lambda a: policy.can_decide_response_plan(a, is_named_worker=False, same_council=True),
        {"social_worker", "outside_hub"}),
    "can_decide_response_plan[another worker]": (
        lambda a: policy.can_decide_response_plan(a, is_named_worker=False, same_council=False), NOBODY),
    # Issue 6 / child information profile and the printable briefing
    "can_prepare_profile[hub_member]": (
        lambda a: policy.can_prepare_profile(a, relation=Relation.HUB_MEMBER), {"social_worker"}),
    "can_prepare_profile[allocated]": (
        lambda a: policy.can_prepare_profile(a, relation=Relation.ALLOCATED), {"social_worker", "outside_hub"}),
    "can_prepare_profile[none]": (lambda a: policy.can_prepare_profile(a, relation=Relation.NONE), NOBODY),
    "can_view_profile[hub_member, not missing]": (
        lambda a: policy.can_view_profile(a, relation=Relation.HUB_MEMBER, child_missing=False), {"social_worker"}),
    "can_view_profile[hub_member, missing]": (
        lambda a: policy.can_view_profile(a, relation=Relation.HUB_MEMBER, child_missing=True),
        {"social_worker"} | POLICE),
    "can_view_profile[allocated, not missing]": (
        lambda a: policy.can_view_profile(a, relation=Relation.ALLOCATED, child_missing=False),
        {"social_worker", "outside_hub"}),
    "can_view_profile[break_glass, missing]": (
        lambda a: policy.can_view_profile(a, relation=Relation.BREAK_GLASS, child_missing=True),
        {"social_worker"} | POLICE),
    "can_view_profile[none, missing]": (
        lambda a: policy.can_view_profile(a, relation=Relation.NONE, child_missing=True), NOBODY),
    # Issue 6 / notifications and assignment
    "can_assign_episode": (policy.can_assign_episode, POLICE),
    # Issue 6 / triggers, hub tasks and screening
    "can_view_hub_tasks": (policy.can_view_hub_tasks, HUB_CASEWORK),
    # Issue 7 / patterns across children
    "can_view_patterns": (policy.can_view_patterns, HUB_CASEWORK),
    "can_view_persons_of_concern": (policy.can_view_persons_of_concern, HUB_CASEWORK),
    # Issue 7 / the young person's feedback
    "can_ask_for_feedback[LLAMAU]": (
        lambda a: policy.can_ask_for_feedback(a, provider_code=PROVIDER), {"debrief_worker"}),
    "can_ask_for_feedback[another charity]": (
        lambda a: policy.can_ask_for_feedback(a, provider_code=OTHER_CHARITY), NOBODY),
    "can_view_feedback_results": (policy.can_view_feedback_results, HUB_CASEWORK | {"debrief_worker", "analyst"}),
    "can_view_feedback_service[LLAMAU]": (
        lambda a: policy.can_view_feedback_service(a, provider_code=PROVIDER),
        HUB_CASEWORK | {"debrief_worker", "analyst"}),
    "can_view_feedback_service[another charity]": (
        lambda a: policy.can_view_feedback_service(a, provider_code=OTHER_CHARITY), HUB_CASEWORK | {"analyst"}),
    "can_view_exact_feedback_counts[LLAMAU]": (
        lambda a: policy.can_view_exact_feedback_counts(a, provider_code=PROVIDER), {"debrief_worker"}),
    "can_view_exact_feedback_counts[another charity]": (
        lambda a: policy.can_view_exact_feedback_counts(a, provider_code=OTHER_CHARITY), NOBODY),
    "can_view_feedback_comments[LLAMAU]": (
        lambda a: policy.can_view_feedback_comments(a, provider_code=PROVIDER), {"debrief_worker"}),
    "can_view_feedback_comments[another charity]": (
        lambda a: policy.can_view_feedback_comments(a, provider_code=OTHER_CHARITY), NOBODY),
    "can_view_hub_task[hub_member]": (
        lambda a: policy.can_view_hub_task(a, relation=Relation.HUB_MEMBER), HUB_CASEWORK),
    "can_view_hub_task[allocated]": (
        lambda a: policy.can_view_hub_task(a, relation=Relation.ALLOCATED), CASEWORK),
    "can_view_hub_task[none]": (lambda a: policy.can_view_hub_task(a, relation=Relation.NONE), NOBODY),
    "can_complete_hub_task": (policy.can_complete_hub_task, {"coordinator", "supervisor", "social_worker"}),
    "can_screen_exploitation[hub_member]": (
        lambda a: policy.can_screen_exploitation(a, relation=Relation.HUB_MEMBER), HUB_CASEWORK),
    "can_screen_exploitation[allocated]": (
        lambda a: policy.can_screen_exploitation(a, relation=Relation.ALLOCATED), CASEWORK),
    "can_screen_exploitation[none]": (
        lambda a: policy.can_screen_exploitation(a, relation=Relation.NONE), NOBODY),
}  # fmt: skip

CELLS = [
    pytest.param(actor, question, actor in allowed, id=f"{actor}-{question}")
    for question, (_ask_it, allowed) in QUESTIONS.items()
    for actor in ACTORS
]


def test_the_table_names_only_known_actors() -> None:
    for question, (_ask_it, allowed) in QUESTIONS.items():
        assert allowed <= set(ACTORS), question


def test_the_table_covers_every_role() -> None:
    assert {a.role for a in ACTORS.values()} >= set(Role)


def test_the_table_asks_every_question_the_policy_answers() -> None:
    asked = {name.split("[")[0] for name in QUESTIONS} | set(OTHER_QUESTIONS)
    answered = {name for name, _ in inspect.getmembers(policy, inspect.isfunction) if name.startswith("can_")}
    assert answered <= asked, f"add these to QUESTIONS: {sorted(answered - asked)}"


@pytest.mark.parametrize(("actor", "question", "expected"), CELLS)
def test_policy_cell(actor: str, question: str, expected: bool) -> None:
    ask, _allowed = QUESTIONS[question]
    assert ask(ACTORS[actor]) is expected


# Questions added with the information-governance pages and rights work, asked in their own tests below.
OTHER_QUESTIONS: dict[str, set[str]] = {}


# The fact-access table written for people (policy/fact-access.csv) against the policy.

TABLE = Path(__file__).resolve().parents[2] / "policy" / "fact-access.csv"


def _table() -> dict[tuple[str, str, str], bool]:
    with TABLE.open(newline="", encoding="utf-8") as f:
        rows = list(csv.DictReader(f))
    cells = {}
    for row in rows:
        for category in DataCategory.values:
            assert row[category] in {"yes", "no"}, f"{row['role']}/{row['relation']}/{category}: yes or no"
            cells[(row["role"], row["relation"], category)] = row[category] == "yes"
    return cells


def test_fact_access_table_covers_every_role_relation_and_category() -> None:
    assert set(_table()) == set(itertools.product(Role.values, Relation.values, DataCategory.values))


@pytest.mark.parametrize(
    ("role", "relation", "category"),
    list(itertools.product(Role.values, Relation.values, DataCategory.values)),
)
def test_fact_access_table_matches_the_policy(role: str, relation: str, category: str) -> None:
    expected = _table()[(role, relation, category)]
    assert policy.table_allows(Role(role), Relation(relation), DataCategory(category)) is expected
    # And end to end: another partner's unrestricted fact, under the hub's protocol, with the handling that
    # lets it travel furthest, is visible exactly where the table says (hub members; a charity worker only
    # sees debrief disclosures, whose handling needs a basis).
    actor = Actor(Role(role), "NCC" if role != Role.DEBRIEF_WORKER else PROVIDER,
                  AgencyKind.COUNCIL if role != Role.DEBRIEF_WORKER else AgencyKind.CHARITY,
                  in_partnership=True)  # fmt: skip
    source = "CCBC" if category != DataCategory.POLICE_INTELLIGENCE else "GWP"
    label = FactLabel(source, KIND[source], DataCategory(category), Handling.CONSENT_OR_SAFEGUARDING,
                      share_basis=ShareBasis.SAFEGUARDING)  # fmt: skip
    seen = policy.can_view_fact(actor, fact=label, relation=Relation(relation), shares=ALL_SHARES,
                                purpose=Purpose.MISSING_EPISODE)  # fmt: skip
    assert seen is expected


# Properties

CODES = st.sampled_from(["GWP", "DPP", "NCC", "CCBC", "ABUHB", PROVIDER, OTHER_CHARITY])
LABELS = st.builds(
    FactLabel,
    source_agency_code=CODES,
    source_agency_kind=st.sampled_from(AgencyKind),
    data_category=st.sampled_from(DataCategory),
    handling=st.sampled_from(Handling),
    share_basis=st.sampled_from(ShareBasis),
    restricted=st.booleans(),
)
SHARES = st.sampled_from([ALL_SHARES, NO_SHARES, SHARES_TO_CHARITY])
_KWARG_STRATEGIES: dict[str, st.SearchStrategy[Any]] = {
    "debrief_provider_code": st.none() | CODES,
    "provider_code": CODES,
    "source_agency_code": CODES,
    "source_agency_kind": st.sampled_from(AgencyKind),
    "category": st.sampled_from(FactCategory),
    "agency_code": CODES,
    "relation": st.sampled_from(Relation),
    "fact": LABELS,
    "shares": SHARES,
    "purpose": st.sampled_from(Purpose),
    "service": st.sampled_from(sorted(policy.INFORMATION_SERVICE_ROLES)),  # Issue 6 / information call
    "child_missing": st.booleans(),  # Issue 6 / child information profile
    "is_named_worker": st.booleans(),  # Issue 6 / response plan
    "same_council": st.booleans(),  # Issue 6 / response plan
    "service_provider_code": st.none() | CODES,  # Issue 7 / referrals
    "referrer_agency_code": st.none() | CODES,  # Issue 7 / referrals
    "is_referrer": st.booleans(),  # Issue 7 / referrals
}
CAN_FUNCTIONS = sorted(
    (name, fn) for name, fn in inspect.getmembers(policy, inspect.isfunction) if name.startswith("can_")
)


def _ask(fn: Callable[..., bool], data: st.DataObject, actor: Actor) -> bool:
    kwargs = {}
    for name, param in inspect.signature(fn).parameters.items():
        if param.kind is inspect.Parameter.KEYWORD_ONLY:
            assert name in _KWARG_STRATEGIES, f"add a strategy for {fn.__name__}'s {name!r}"
            kwargs[name] = data.draw(_KWARG_STRATEGIES[name], label=name)
    return fn(actor, **kwargs)


@st.composite
def shut_out_actors(draw: st.DrawFn) -> Actor:
    """Any actor either outside the partnership or with a deactivated account (or both)."""
    in_partnership, is_active = draw(st.sampled_from([(False, True), (True, False), (False, False)]))
    return Actor(
        role=draw(st.none() | st.sampled_from(Role)),
        agency_code=draw(st.none() | CODES),
        agency_kind=draw(st.none() | st.sampled_from(AgencyKind)),
        in_partnership=in_partnership,
        is_active=is_active,
        hub_member=draw(st.booleans()),
    )


@given(actor=shut_out_actors(), data=st.data())
def test_outsiders_and_inactive_accounts_are_refused_everything(actor: Actor, data: st.DataObject) -> None:
    for name, fn in CAN_FUNCTIONS:
        assert _ask(fn, data, actor) is False, name


PARTNER_ACTORS = st.builds(
    Actor,
    role=st.sampled_from(Role),
    agency_code=CODES,
    agency_kind=st.sampled_from(AgencyKind),
    in_partnership=st.just(True),
    hub_member=st.booleans(),
)


@given(actor=PARTNER_ACTORS, fact=LABELS, relation=st.sampled_from(Relation), shares=SHARES,
       purpose=st.sampled_from(Purpose))  # fmt: skip
def test_another_agencys_fact_is_never_shown_beyond_the_table_the_agreement_or_the_owners_restriction(
    actor: Actor,
    fact: FactLabel,
    relation: Relation,
    shares: frozenset[tuple[str, str, str]],
    purpose: Purpose,
) -> None:
    seen = policy.can_view_fact(actor, fact=fact, relation=relation, shares=shares, purpose=purpose)
    if seen and actor.agency_code != fact.source_agency_code:
        assert actor.role is not None and policy.table_allows(Role(actor.role), relation, fact.data_category)
        assert (fact.source_agency_code, actor.agency_code, fact.data_category) in shares
        assert not fact.restricted
        assert purpose in policy.FACT_PURPOSES
        assert policy.handling_allows(actor, fact=fact, relation=relation)


@given(fact=LABELS, relation=st.sampled_from(Relation), shares=SHARES, purpose=st.sampled_from(Purpose))
def test_the_charity_never_sees_police_intelligence_even_in_an_emergency(
    fact: FactLabel, relation: Relation, shares: frozenset[tuple[str, str, str]], purpose: Purpose
) -> None:
    worker = ACTORS["debrief_worker"]
    intelligence = (
        fact.data_category == DataCategory.POLICE_INTELLIGENCE or fact.source_agency_kind == AgencyKind.POLICE
    )
    if intelligence and fact.source_agency_code != worker.agency_code:
        assert not policy.can_view_fact(worker, fact=fact, relation=relation, shares=shares, purpose=purpose)


@pytest.mark.parametrize("kind", list(AgencyKind), ids=str)
def test_police_sourced_facts_never_reach_the_charity_even_under_its_own_code(kind: AgencyKind) -> None:
    forged = FactLabel(PROVIDER, AgencyKind.POLICE, DataCategory.POLICE_INTELLIGENCE, Handling.NOT_TO_CHARITY)
    # Its own code makes it the owner's fact: that is the one exception, and only for the real owner.
    assert policy.can_view_fact(ACTORS["debrief_worker"], fact=forged, relation=Relation.ALLOCATED,
                                shares=ALL_SHARES, purpose=Purpose.DEBRIEF)  # fmt: skip
    other = FactLabel("GWP", kind, DataCategory.POLICE_INTELLIGENCE, Handling.NOT_TO_CHARITY)
    assert not policy.can_view_fact(ACTORS["debrief_worker"], fact=other, relation=Relation.ALLOCATED,
                                    shares=ALL_SHARES, purpose=Purpose.DEBRIEF)  # fmt: skip


@pytest.mark.parametrize("category", list(FactCategory), ids=str)
@pytest.mark.parametrize("kind", list(AgencyKind), ids=str)
def test_every_fact_gets_a_data_category_and_a_handling(category: FactCategory, kind: AgencyKind) -> None:
    data_category = policy.data_category_for(source_agency_kind=kind, category=category, from_debrief=False)
    if kind == AgencyKind.POLICE or category == FactCategory.WARNING_MARKER:
        assert data_category == DataCategory.POLICE_INTELLIGENCE
        assert policy.default_handling(data_category) == Handling.HUB_ONLY
    assert (
        policy.data_category_for(source_agency_kind=kind, category=category, from_debrief=True)
        == DataCategory.DEBRIEF_DISCLOSURE
    )
    assert policy.default_handling(DataCategory.DEBRIEF_DISCLOSURE) == Handling.CONSENT_OR_SAFEGUARDING


def test_a_debrief_worker_outside_a_charity_is_not_a_debrief_worker() -> None:
    misfiled = Actor(Role.DEBRIEF_WORKER, "NCC", AgencyKind.COUNCIL, in_partnership=True)
    assert not policy.can_view_episode(misfiled, debrief_provider_code="NCC", relation=Relation.ALLOCATED)
    assert not policy.can_view_debrief_content(misfiled, provider_code="NCC")
    assert not policy.can_view_fact(misfiled, fact=SOCIAL_CARE, relation=Relation.ALLOCATED, shares=ALL_SHARES,
                                    purpose=Purpose.DEBRIEF)  # fmt: skip


def test_a_debrief_worker_from_another_charity_sees_nothing_of_the_providers_debriefs() -> None:
    other = Actor(Role.DEBRIEF_WORKER, OTHER_CHARITY, AgencyKind.CHARITY, in_partnership=True)
    assert not policy.can_view_episode(other, debrief_provider_code=PROVIDER, relation=Relation.NONE)
    assert not policy.can_view_debrief_content(other, provider_code=PROVIDER)
    assert not policy.can_view_debrief_status(other, provider_code=PROVIDER)
    assert not policy.can_record_debrief(other, provider_code=PROVIDER)
