"""The read path: what each persona gets through the selectors, and the audit rows reads leave behind.

A refused read is a 404 (NotFoundOrNoAccess), never a 403 and never another exception, and leaves no
VIEW row for its target; a successful read leaves exactly one, naming who read it, in what role, for
which agency.
"""

from __future__ import annotations

import dataclasses
import datetime
import uuid
from collections.abc import Callable
from typing import Any

import pytest
from django.utils import timezone

from hafan.analytics.selectors import dashboard_for
from hafan.core.errors import NotFoundOrNoAccess
from hafan.core.vocabulary import AgencyKind, FactCategory, Purpose
from hafan.debriefs.models import Debrief, OfferStatus, ShareBasis
from hafan.debriefs.selectors import debrief_get_for_user, debrief_queue_for
from hafan.debriefs.services import debrief_record
from hafan.episodes.models import Episode
from hafan.episodes.selectors import briefing_for, episode_get_for_user
from hafan.episodes.services import episode_record_return
from hafan.people.models import Child, Fact
from hafan.people.selectors import child_get_for_user, children_visible_to, facts_visible_to
from hafan.people.services import PersonDetails, fact_add
from hafan.sharing.models import AuditAction, AuditEvent
from hafan.sharing.selectors import audit_trail_for

CASEWORK = ["coordinator", "supervisor", "social_worker", "nurse", "education_worker"]
NO_CHILDREN = ["analyst", "auditor", "administrator", "outsider"]
EVERYONE = [*CASEWORK, "debrief_worker", *NO_CHILDREN]


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings: Any) -> None:
    # Ten personas per test: the production hasher's cost would dominate the run.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


def _hours_ago(hours: float) -> datetime.datetime:
    return timezone.now() - datetime.timedelta(hours=hours)


def views_of(target_type: str, target_id: Any) -> list[AuditEvent]:
    return list(
        AuditEvent.objects.filter(action=AuditAction.VIEW, target_type=target_type, target_id=str(target_id))
    )


def assert_one_view(user: Any, target_type: str, target_id: Any, child: Child | None) -> None:
    events = views_of(target_type, target_id)
    assert len(events) == 1, f"{len(events)} VIEW rows for {target_type} {target_id}"
    event = events[0]
    assert (event.actor_username, event.role, event.agency_code) == (
        user.username,
        user.role,
        user.agency.code,
    )
    assert event.child_public_id == (child.public_id if child else None)


def assert_no_view(target_type: str, target_id: Any) -> None:
    assert views_of(target_type, target_id) == []


def _return(episode: Episode, by: Any) -> Episode:
    return episode_record_return(
        episode=episode,
        recorded_by=by,
        returned_at=_hours_ago(3),
        found_where="Friend's house, Pill",
        found_by="self",
        harm_suffered=False,
    )


@dataclasses.dataclass
class Case:
    episode: Episode
    child: Child
    debrief: Debrief
    police_facts: list[Fact]
    partner_facts: list[Fact]
    llamau_facts: list[Fact]
    llamau_warning_marker: Fact


@pytest.fixture
def case(
    report_missing: Callable[..., Episode],
    partnership: dict[str, Any],
    coordinator: Any,
    social_worker: Any,
    nurse: Any,
    debrief_worker: Any,
) -> Case:
    """A child reported, known to police, council and health, returned and debriefed by Llamau."""
    episode = report_missing(reported_at=_hours_ago(6), last_seen_at=_hours_ago(8))
    child = episode.child
    today = timezone.localdate()

    def add(agency: str, category: FactCategory, summary: str, by: Any) -> Fact:
        return fact_add(
            child=child,
            agency=partnership[agency],
            category=category,
            summary=summary,
            recorded_on=today,
            source=f"{agency} test feed",
            actor=by,
        )

    police = [
        add("GWP", FactCategory.WARNING_MARKER, "Weapons marker on an associate's address", coordinator),
        add("GWP", FactCategory.PLACE, "Found twice at a flat on Commercial Road", coordinator),
        add("GWP", FactCategory.EXPLOITATION, "Intelligence: linked to a county line", coordinator),
        add("GWP", FactCategory.ASSOCIATE, "Nominal known as 'Dex'", coordinator),
    ]
    partners = [
        add("NCC", FactCategory.LOOKED_AFTER, "Section 76, placed with foster carers", social_worker),
        add("ABUHB", FactCategory.HEALTH_NEED, "Asthma; carries an inhaler", nurse),
    ]
    # A warning marker passed on by the charity is still police intelligence.
    marker = add("LLAMAU", FactCategory.WARNING_MARKER, "Said a relative carries a knife", debrief_worker)

    _return(episode, coordinator)
    debrief = Debrief.objects.get(episode=episode)
    debrief_record(
        debrief=debrief,
        worker=debrief_worker,
        status=OfferStatus.HELD,
        offered_at=_hours_ago(2),
        held_at=_hours_ago(1),
        where_went="Stayed with a friend",
        child_wishes="To move back home",
        share_basis=ShareBasis.CONSENT,
        places_to_share="Tredegar Park skate ramp\nThe 24-hour garage on Chepstow Road",
    )
    llamau = list(Fact.objects.filter(debrief=debrief))
    assert len(llamau) == 2
    episode.refresh_from_db()
    debrief.refresh_from_db()
    return Case(episode, child, debrief, police, partners, llamau, marker)


# Casework staff


@pytest.mark.parametrize("persona", CASEWORK)
def test_casework_reads_the_child_the_episode_and_the_briefing(
    case: Case, persona: str, request: pytest.FixtureRequest
) -> None:
    user = request.getfixturevalue(persona)
    assert case.child in children_visible_to(user)

    assert (
        child_get_for_user(user=user, public_id=case.child.public_id, purpose=Purpose.MISSING_EPISODE)
        == case.child
    )
    assert_one_view(user, "child", case.child.public_id, case.child)

    assert (
        episode_get_for_user(user=user, public_id=case.episode.public_id, purpose=Purpose.MISSING_EPISODE)
        == case.episode
    )
    assert_one_view(user, "episode", case.episode.public_id, case.child)

    briefing = briefing_for(user=user, episode=case.episode)
    assert_one_view(user, "briefing", case.episode.public_id, case.child)
    shown = {f.pk for facts in briefing.facts_by_agency.values() for f in facts} | {
        f.pk for f in briefing.learnt_in_debriefs
    }
    assert shown == set(Fact.objects.filter(child=case.child).values_list("pk", flat=True))
    assert {f.pk for f in briefing.learnt_in_debriefs} == {f.pk for f in case.llamau_facts}


@pytest.mark.parametrize("persona", CASEWORK)
def test_casework_sees_no_debrief_content_and_has_no_queue(
    case: Case, persona: str, request: pytest.FixtureRequest
) -> None:
    user = request.getfixturevalue(persona)
    with pytest.raises(NotFoundOrNoAccess):
        debrief_get_for_user(user=user, public_id=case.debrief.public_id)
    assert_no_view("debrief", case.debrief.public_id)
    assert list(debrief_queue_for(user)) == []


# The debrief worker


def test_debrief_worker_sees_an_episode_only_once_a_return_asks_for_a_debrief(
    report_missing: Callable[..., Episode], coordinator: Any, debrief_worker: Any
) -> None:
    episode = report_missing()
    with pytest.raises(NotFoundOrNoAccess):
        episode_get_for_user(user=debrief_worker, public_id=episode.public_id, purpose=Purpose.DEBRIEF)
    assert_no_view("episode", episode.public_id)

    _return(episode, coordinator)
    assert (
        episode_get_for_user(user=debrief_worker, public_id=episode.public_id, purpose=Purpose.DEBRIEF)
        == episode
    )
    assert_one_view(debrief_worker, "episode", episode.public_id, episode.child)


def test_debrief_worker_gets_no_briefing_and_no_child_record(case: Case, debrief_worker: Any) -> None:
    with pytest.raises(NotFoundOrNoAccess):
        briefing_for(user=debrief_worker, episode=case.episode)
    assert_no_view("briefing", case.episode.public_id)

    assert list(children_visible_to(debrief_worker)) == []
    with pytest.raises(NotFoundOrNoAccess):
        child_get_for_user(user=debrief_worker, public_id=case.child.public_id, purpose=Purpose.DEBRIEF)
    assert_no_view("child", case.child.public_id)


def test_debrief_worker_opens_the_debrief(case: Case, debrief_worker: Any) -> None:
    debrief = debrief_get_for_user(user=debrief_worker, public_id=case.debrief.public_id)
    assert debrief == case.debrief
    assert debrief.child_wishes == "To move back home"
    assert_one_view(debrief_worker, "debrief", case.debrief.public_id, case.child)
    event = views_of("debrief", case.debrief.public_id)[0]
    assert (event.role, event.agency_code) == ("debrief_worker", "LLAMAU")


def test_debrief_queue_holds_open_offers_only(
    case: Case, report_missing: Callable[..., Episode], coordinator: Any, debrief_worker: Any
) -> None:
    other = report_missing(
        child_details=PersonDetails(
            given_name="Dylan", family_name="Morgan", date_of_birth=datetime.date(2010, 1, 2)
        )
    )
    _return(other, coordinator)
    # The held debrief has left the queue.
    assert [d.episode for d in debrief_queue_for(debrief_worker)] == [other]


def test_debrief_worker_sees_its_own_facts_and_never_police_intelligence(
    case: Case, debrief_worker: Any
) -> None:
    visible = facts_visible_to(user=debrief_worker, child=case.child, purpose=Purpose.DEBRIEF)
    # Its own debrief's places, and the marker it recorded itself (an agency always sees what it supplied:
    # docs/adr/0005-information-governance.md); nothing any other agency supplied.
    assert {f.pk for f in visible} == {f.pk for f in case.llamau_facts} | {case.llamau_warning_marker.pk}
    for fact in visible:
        assert fact.agency.kind != AgencyKind.POLICE
        assert fact.agency.code == "LLAMAU"
    assert not {f.pk for f in case.police_facts} & {f.pk for f in visible}
    assert not {f.pk for f in case.partner_facts} & {f.pk for f in visible}


# People who see figures, the audit trail or staff accounts, and the outsider


@pytest.mark.parametrize("persona", NO_CHILDREN)
def test_no_child_record_episode_or_debrief_for_non_casework(
    case: Case, persona: str, request: pytest.FixtureRequest
) -> None:
    user = request.getfixturevalue(persona)
    assert list(children_visible_to(user)) == []
    with pytest.raises(NotFoundOrNoAccess):
        child_get_for_user(user=user, public_id=case.child.public_id, purpose=Purpose.OVERSIGHT)
    with pytest.raises(NotFoundOrNoAccess):
        episode_get_for_user(user=user, public_id=case.episode.public_id, purpose=Purpose.OVERSIGHT)
    with pytest.raises(NotFoundOrNoAccess):
        debrief_get_for_user(user=user, public_id=case.debrief.public_id)
    with pytest.raises(NotFoundOrNoAccess):
        briefing_for(user=user, episode=case.episode)
    assert list(debrief_queue_for(user)) == []
    assert facts_visible_to(user=user, child=case.child) == []
    assert not AuditEvent.objects.filter(action=AuditAction.VIEW, actor_username=user.username).exists()


# Dashboard


@pytest.mark.parametrize("persona", EVERYONE)
def test_dashboard(case: Case, persona: str, request: pytest.FixtureRequest) -> None:
    user = request.getfixturevalue(persona)
    if persona in CASEWORK or persona == "analyst":
        dashboard = dashboard_for(user=user)
        assert dashboard.month_total >= 1
        assert dashboard.show_children is (persona != "analyst")
    else:
        with pytest.raises(NotFoundOrNoAccess):
            dashboard_for(user=user)


def _holds_people(value: Any) -> bool:
    if isinstance(value, Child | Episode):
        return True
    if isinstance(value, list | tuple | set):
        return any(_holds_people(v) for v in value)
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return any(_holds_people(getattr(value, f.name)) for f in dataclasses.fields(value))
    return False


def test_analyst_dashboard_carries_figures_not_children(
    report_missing: Callable[..., Episode], coordinator: Any, analyst: Any
) -> None:
    # Three episodes in a fortnight (a strategy meeting is due) and the last one never graded (review overdue).
    for days_ago in (14, 7, 0):
        episode = report_missing(
            reported_at=_hours_ago(24 * days_ago + 1), last_seen_at=_hours_ago(24 * days_ago + 3)
        )
        if days_ago:
            episode_record_return(
                episode=episode,
                recorded_by=coordinator,
                returned_at=_hours_ago(24 * days_ago),
                found_where="Home",
                found_by="self",
                harm_suffered=False,
            )
    assert dashboard_for(user=coordinator).repeat_children  # the figures exist
    dashboard = dashboard_for(user=analyst)
    assert dashboard.show_children is False
    carrying = [f.name for f in dataclasses.fields(dashboard) if _holds_people(getattr(dashboard, f.name))]
    assert carrying == [], f"the analyst's dashboard carries child records in {carrying}"


# Audit trail


def test_auditor_reads_the_audit_trail_and_the_reading_is_audited(case: Case, auditor: Any) -> None:
    trail = audit_trail_for(user=auditor, child_public_id=str(case.child.public_id))
    assert trail.exists()
    assert {e.child_public_id for e in trail} == {case.child.public_id}
    assert_one_view(auditor, "audit_trail", case.child.public_id, None)

    everything = audit_trail_for(user=auditor)
    assert everything.count() >= trail.count()
    assert_one_view(auditor, "audit_trail", "all", None)


@pytest.mark.parametrize("persona", [p for p in EVERYONE if p != "auditor"])
def test_nobody_else_reads_the_audit_trail(case: Case, persona: str, request: pytest.FixtureRequest) -> None:
    with pytest.raises(NotFoundOrNoAccess):
        audit_trail_for(user=request.getfixturevalue(persona), child_public_id=str(case.child.public_id))
    assert not AuditEvent.objects.filter(target_type="audit_trail").exists()


# Malformed and unknown identifiers


BAD_IDS = [
    pytest.param("not-a-uuid", id="malformed"),
    pytest.param("", id="empty"),
    pytest.param("1234", id="short-digits"),
    pytest.param("' OR 1=1 --", id="injection"),
    pytest.param("g" * 32, id="non-hex"),
    pytest.param(str(uuid.UUID(int=0)), id="nil-uuid"),
    pytest.param(str(uuid.uuid4()), id="unknown-string"),
    pytest.param(uuid.uuid4(), id="unknown-uuid"),
    pytest.param(-1, id="negative-int"),
]


def _getters() -> dict[str, Callable[[Any, Any], Any]]:
    return {
        "child": lambda user, pid: child_get_for_user(
            user=user, public_id=pid, purpose=Purpose.MISSING_EPISODE
        ),
        "episode": lambda user, pid: episode_get_for_user(
            user=user, public_id=pid, purpose=Purpose.MISSING_EPISODE
        ),
        "debrief": lambda user, pid: debrief_get_for_user(user=user, public_id=pid),
    }


@pytest.mark.parametrize("getter", ["child", "episode", "debrief"])
@pytest.mark.parametrize("persona", ["coordinator", "debrief_worker"])
@pytest.mark.parametrize("bad_id", BAD_IDS)
def test_a_malformed_or_unknown_id_is_not_found(
    case: Case, getter: str, persona: str, bad_id: Any, request: pytest.FixtureRequest
) -> None:
    user = request.getfixturevalue(persona)
    with pytest.raises(NotFoundOrNoAccess):
        _getters()[getter](user, bad_id)
    assert not AuditEvent.objects.filter(action=AuditAction.VIEW, actor_username=user.username).exists()


@pytest.mark.parametrize("getter", ["child", "episode", "debrief"])
def test_another_records_id_is_not_found(
    case: Case, getter: str, coordinator: Any, debrief_worker: Any
) -> None:
    # An id that exists, but for a different kind of record.
    other = {
        "child": case.episode.public_id,
        "episode": case.debrief.public_id,
        "debrief": case.child.public_id,
    }[getter]
    for user in (coordinator, debrief_worker):
        with pytest.raises(NotFoundOrNoAccess):
            _getters()[getter](user, other)
    assert not AuditEvent.objects.filter(action=AuditAction.VIEW).exists()


@pytest.mark.parametrize("bad_id", ["not-a-uuid", "' OR 1=1 --"])
def test_a_malformed_child_id_on_the_audit_trail_is_not_an_error(
    case: Case, auditor: Any, bad_id: str
) -> None:
    try:
        trail = audit_trail_for(user=auditor, child_public_id=bad_id)
    except NotFoundOrNoAccess:
        return
    assert list(trail) == []
