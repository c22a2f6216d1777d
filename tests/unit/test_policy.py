"""The access policy as a truth table: every actor x every question, each cell a named test.

The table is written out by hand on purpose: a change to hafan.sharing.policy that alters who may see or do
what must change a cell here too, and the failing test names the actor and the question.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from hafan.core.vocabulary import AgencyKind, FactCategory, Role
from hafan.sharing import policy
from hafan.sharing.policy import Actor

PROVIDER = "LLAMAU"
OTHER_CHARITY = "BARNARDOS"

ACTORS: dict[str, Actor] = {
    "coordinator": Actor(Role.POLICE_COORDINATOR, "GWP", AgencyKind.POLICE, in_partnership=True),
    "supervisor": Actor(Role.POLICE_SUPERVISOR, "GWP", AgencyKind.POLICE, in_partnership=True),
    "social_worker": Actor(Role.SOCIAL_WORKER, "NCC", AgencyKind.COUNCIL, in_partnership=True),
    "nurse": Actor(Role.HEALTH_NURSE, "ABUHB", AgencyKind.HEALTH, in_partnership=True),
    "education_worker": Actor(Role.EDUCATION_WORKER, "CCBC", AgencyKind.COUNCIL, in_partnership=True),
    "debrief_worker": Actor(Role.DEBRIEF_WORKER, PROVIDER, AgencyKind.CHARITY, in_partnership=True),
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


def _fact(code: str, kind: AgencyKind, category: FactCategory) -> Callable[[Actor], bool]:
    return lambda a: policy.can_view_fact(
        a, source_agency_code=code, source_agency_kind=kind, category=category
    )


QUESTIONS: dict[str, Callable[[Actor], bool]] = {
    "can_view_child_record": policy.can_view_child_record,
    "can_view_episode[LLAMAU]": lambda a: policy.can_view_episode(a, debrief_provider_code=PROVIDER),
    "can_view_episode[None]": lambda a: policy.can_view_episode(a, debrief_provider_code=None),
    "can_view_fact[police warning_marker]": _fact("GWP", AgencyKind.POLICE, FactCategory.WARNING_MARKER),
    "can_view_fact[police place]": _fact("GWP", AgencyKind.POLICE, FactCategory.PLACE),
    "can_view_fact[council looked_after]": _fact("NCC", AgencyKind.COUNCIL, FactCategory.LOOKED_AFTER),
    "can_view_fact[health health_need]": _fact("ABUHB", AgencyKind.HEALTH, FactCategory.HEALTH_NEED),
    "can_view_fact[LLAMAU debrief place]": _fact(PROVIDER, AgencyKind.CHARITY, FactCategory.PLACE),
    "can_view_fact[other charity place]": _fact(OTHER_CHARITY, AgencyKind.CHARITY, FactCategory.PLACE),
    "can_view_risk_assessment": policy.can_view_risk_assessment,
    "can_report_episode": policy.can_report_episode,
    "can_grade_risk": policy.can_grade_risk,
    "can_confirm_risk": policy.can_confirm_risk,
    "can_record_return": policy.can_record_return,
    "can_agree_response_plan": policy.can_agree_response_plan,
    "can_view_debrief_content[LLAMAU]": lambda a: policy.can_view_debrief_content(a, provider_code=PROVIDER),
    "can_view_debrief_status[LLAMAU]": lambda a: policy.can_view_debrief_status(a, provider_code=PROVIDER),
    "can_record_debrief[LLAMAU]": lambda a: policy.can_record_debrief(a, provider_code=PROVIDER),
    "can_make_referral": policy.can_make_referral,
    "can_view_dashboard": policy.can_view_dashboard,
    "can_view_audit_trail": policy.can_view_audit_trail,
    "can_view_referral[LLAMAU debrief]": lambda a: policy.can_view_referral(
        a, debrief_provider_code=PROVIDER
    ),
    "can_view_referral[no debrief]": lambda a: policy.can_view_referral(a, debrief_provider_code=None),
    "can_manage_identities": policy.can_manage_identities,
    "can_import_agency_data[GWP]": lambda a: policy.can_import_agency_data(a, agency_code="GWP"),
    "can_import_agency_data[NCC]": lambda a: policy.can_import_agency_data(a, agency_code="NCC"),
    "can_view_import_history[GWP]": lambda a: policy.can_view_import_history(a, agency_code="GWP"),
}

Y, N = True, False

# Columns in QUESTIONS order, grouped:
#   child record, episode (LLAMAU debrief), episode (no debrief)
#   facts: police marker, police place, council looked-after, health need, LLAMAU debrief place, other charity
#   risk assessment
#   report, grade, confirm, record return, agree response plan
#   debrief (LLAMAU): content, status, record
#   referral, dashboard, audit trail
#   view referral: from a LLAMAU debrief, with no debrief
#   manage identities (review matches, split)
#   import agency data: for GWP, for NCC; view GWP's import history
# fmt: off
EXPECTED: dict[str, tuple[bool, ...]] = {
    "coordinator":      (Y, Y, Y,  Y, Y, Y, Y, Y, Y,  Y,  Y, Y, N, Y, Y,  N, Y, N,  Y, Y, N,  Y, Y,  Y,  N, N, N),
    "supervisor":       (Y, Y, Y,  Y, Y, Y, Y, Y, Y,  Y,  Y, Y, Y, Y, Y,  N, Y, N,  Y, Y, N,  Y, Y,  Y,  N, N, N),
    "social_worker":    (Y, Y, Y,  Y, Y, Y, Y, Y, Y,  Y,  Y, N, N, N, Y,  N, Y, N,  Y, Y, N,  Y, Y,  Y,  N, N, N),
    "nurse":            (Y, Y, Y,  Y, Y, Y, Y, Y, Y,  Y,  N, N, N, N, N,  N, Y, N,  Y, Y, N,  Y, Y,  N,  N, N, N),
    "education_worker": (Y, Y, Y,  Y, Y, Y, Y, Y, Y,  Y,  N, N, N, N, N,  N, Y, N,  Y, Y, N,  Y, Y,  N,  N, N, N),
    "debrief_worker":   (N, Y, N,  N, N, N, N, Y, N,  N,  N, N, N, N, N,  Y, Y, Y,  Y, N, N,  Y, N,  N,  N, N, N),
    "analyst":          (N, N, N,  N, N, N, N, N, N,  N,  N, N, N, N, N,  N, N, N,  N, Y, N,  N, N,  N,  N, N, N),
    "ig_auditor":       (N, N, N,  N, N, N, N, N, N,  N,  N, N, N, N, N,  N, N, N,  N, N, Y,  N, N,  N,  N, N, Y),
    "administrator":    (N, N, N,  N, N, N, N, N, N,  N,  N, N, N, N, N,  N, N, N,  N, N, N,  N, N,  N,  Y, N, Y),
    "inactive":         (N, N, N,  N, N, N, N, N, N,  N,  N, N, N, N, N,  N, N, N,  N, N, N,  N, N,  N,  N, N, N),
    "no_role":          (N, N, N,  N, N, N, N, N, N,  N,  N, N, N, N, N,  N, N, N,  N, N, N,  N, N,  N,  N, N, N),
    "outsider":         (N, N, N,  N, N, N, N, N, N,  N,  N, N, N, N, N,  N, N, N,  N, N, N,  N, N,  N,  N, N, N),
}
# fmt: on

CELLS = [
    pytest.param(actor, question, row[i], id=f"{actor}-{question}")
    for actor, row in EXPECTED.items()
    for i, question in enumerate(QUESTIONS)
]


def test_the_table_covers_every_actor_and_every_question() -> None:
    assert set(EXPECTED) == set(ACTORS)
    assert all(len(row) == len(QUESTIONS) for row in EXPECTED.values())


def test_the_table_covers_every_role() -> None:
    assert {a.role for a in ACTORS.values()} >= set(Role)


def test_the_table_asks_every_question_the_policy_answers() -> None:
    asked = {name.split("[")[0] for name in QUESTIONS}
    answered = {name for name, _ in inspect.getmembers(policy, inspect.isfunction) if name.startswith("can_")}
    assert asked == answered


@pytest.mark.parametrize(("actor", "question", "expected"), CELLS)
def test_policy_cell(actor: str, question: str, expected: bool) -> None:
    assert QUESTIONS[question](ACTORS[actor]) is expected


# Properties


CODES = st.sampled_from(["GWP", "DPP", "NCC", "CCBC", "ABUHB", PROVIDER, OTHER_CHARITY])
_KWARG_STRATEGIES: dict[str, st.SearchStrategy[Any]] = {
    "debrief_provider_code": st.none() | CODES,
    "provider_code": CODES,
    "source_agency_code": CODES,
    "source_agency_kind": st.sampled_from(AgencyKind),
    "category": st.sampled_from(FactCategory),
    "agency_code": CODES,
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
    )


@given(actor=shut_out_actors(), data=st.data())
def test_outsiders_and_inactive_accounts_are_refused_everything(actor: Actor, data: st.DataObject) -> None:
    for name, fn in CAN_FUNCTIONS:
        assert _ask(fn, data, actor) is False, name


DEBRIEF_WORKER = ACTORS["debrief_worker"]


@pytest.mark.parametrize("category", list(FactCategory), ids=str)
@pytest.mark.parametrize("source_code", ["GWP", "DPP", PROVIDER])
def test_debrief_worker_never_sees_a_police_sourced_fact(category: FactCategory, source_code: str) -> None:
    # Even a police-kind source carrying the worker's own agency code must not get through.
    assert not policy.can_view_fact(
        DEBRIEF_WORKER,
        source_agency_code=source_code,
        source_agency_kind=AgencyKind.POLICE,
        category=category,
    )


@pytest.mark.parametrize("kind", list(AgencyKind), ids=str)
@pytest.mark.parametrize("source_code", ["GWP", "NCC", "ABUHB", PROVIDER, OTHER_CHARITY])
def test_debrief_worker_never_sees_a_warning_marker(kind: AgencyKind, source_code: str) -> None:
    assert not policy.can_view_fact(
        DEBRIEF_WORKER,
        source_agency_code=source_code,
        source_agency_kind=kind,
        category=FactCategory.WARNING_MARKER,
    )


@given(code=CODES, kind=st.sampled_from(AgencyKind), category=st.sampled_from(FactCategory))
def test_debrief_worker_sees_only_its_own_agencys_non_intelligence_facts(
    code: str, kind: AgencyKind, category: FactCategory
) -> None:
    visible = policy.can_view_fact(
        DEBRIEF_WORKER, source_agency_code=code, source_agency_kind=kind, category=category
    )
    intelligence = kind == AgencyKind.POLICE or category == FactCategory.WARNING_MARKER
    assert visible == (code == PROVIDER and not intelligence)


def test_a_debrief_worker_outside_a_charity_is_not_a_debrief_worker() -> None:
    misfiled = Actor(Role.DEBRIEF_WORKER, "NCC", AgencyKind.COUNCIL, in_partnership=True)
    assert not policy.can_view_episode(misfiled, debrief_provider_code="NCC")
    assert not policy.can_view_debrief_content(misfiled, provider_code="NCC")
    assert not policy.can_view_fact(
        misfiled, source_agency_code="NCC", source_agency_kind=AgencyKind.COUNCIL, category=FactCategory.PLACE
    )


def test_a_debrief_worker_from_another_charity_sees_nothing_of_the_providers_debriefs() -> None:
    other = Actor(Role.DEBRIEF_WORKER, OTHER_CHARITY, AgencyKind.CHARITY, in_partnership=True)
    assert not policy.can_view_episode(other, debrief_provider_code=PROVIDER)
    assert not policy.can_view_debrief_content(other, provider_code=PROVIDER)
    assert not policy.can_view_debrief_status(other, provider_code=PROVIDER)
    assert not policy.can_record_debrief(other, provider_code=PROVIDER)
