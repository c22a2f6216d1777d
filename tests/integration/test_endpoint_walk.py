"""The access matrix, walked: every URL pattern and API endpoint, for every persona, against policy/endpoints.csv.

One world is built through the real services (a child reported missing, facts from five agencies with canary
strings in them, a risk grade, a return, a debrief held by Llamau, a referral, an allocation, an import, a
possible match, the hub's sharing agreement, an emergency access and a disclosure). Then every pattern the
resolver lists is requested as each persona, GET and POST (an empty body; CSRF checks off), pages with a
signed-in session and the API with the persona's bearer token. Each request runs in a transaction that is
rolled back, so every request sees the same world whatever came before it.

It fails, with a readable list, when:
- a pattern is missing from the table, or a table row no longer exists;
- a status differs from the table's cell, or a redirect goes somewhere the `redirects` column does not say;
- a refusal (404) differs from the 404 for an id that does not exist (so it would reveal that the record does);
- a refused or out-of-scope response contains a canary (policy/fact-access.csv says who may see which category);
- a response lacks the secure headers (no-store, CSP, nosniff, Referrer-Policy, X-Frame-Options DENY);
- a page's Welsh (/cy/) variant answers differently from the English one.

docs/security.md says how to update the table when a URL is added (HAFAN_ENDPOINTS_OBSERVED=path writes
what the running system answered, to compare with the table by hand; never copy it over blindly).
"""

from __future__ import annotations

import copy
import csv
import datetime
import inspect
import os
import random
import re
import secrets
from collections import Counter, defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
from django.apps import apps
from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.db import transaction
from django.test import Client
from django.urls import LocalePrefixPattern, URLPattern, URLResolver, get_resolver, resolve
from django.urls.exceptions import Resolver404
from django.urls.resolvers import RegexPattern
from django.utils import timezone, translation

from hafan.accounts.demo_staff import demo_staff_seed
from hafan.accounts.models import User
from hafan.accounts.services import api_token_issue, staff_create
from hafan.agencies.models import Agency
from hafan.agencies.services import partnership_seed
from hafan.core.api import api
from hafan.core.vocabulary import FactCategory, Purpose, Role
from hafan.debriefs.services import debrief_record
from hafan.episodes.selectors import briefing_for
from hafan.episodes.services import episode_record_return, episode_report
from hafan.ingest.models import ImportChannel
from hafan.ingest.reading import Source
from hafan.ingest.services import ImportRequest, code_mappings_seed, import_run
from hafan.ingest.vocabularies import PARTNER_CODES
from hafan.linkage.models import DecisionStatus
from hafan.linkage.records import FieldEvidence, PairScore
from hafan.linkage.services import decision_upsert
from hafan.people.identifiers import synthetic_nhs_number
from hafan.people.models import Fact, SourceRecord
from hafan.people.services import PersonDetails, child_create, fact_add, source_record_upsert
from hafan.referrals.directory import service_directory_seed
from hafan.referrals.models import Service
from hafan.referrals.services import referral_send
from hafan.risk.services import risk_grade_record
from tests.conftest import PERSONA_PASSWORD
from tests.integration.test_ingest import FIXTURES

BASE_DIR = Path(settings.BASE_DIR)
TABLE = BASE_DIR / "policy" / "endpoints.csv"
FACT_TABLE = BASE_DIR / "policy" / "fact-access.csv"

# The demo's staff (hafan.accounts.demo_staff), two council social workers outside the hub made here, and nobody.
STAFF_PERSONAS = [
    "coordinator",
    "supervisor",
    "socialworker",
    "nurse",
    "education",
    "debrief",
    "analyst",
    "auditor",
    "admin",
    "outsider",
]
PERSONAS = [*STAFF_PERSONAS, "allocated", "unallocated", "anonymous"]
COLUMNS = ["endpoint", "method", *PERSONAS, "redirects"]
METHODS = ("GET", "POST")
STATUSES = {"200", "201", "204", "302", "400", "401", "403", "404", "405", "409", "413", "422"}
WELSH_PERSONAS = ("coordinator", "debrief", "anonymous")
# Every admin URL is walked as these; the other personas (whom Django's admin_view turns away exactly as it
# does the coordinator and the outsider) only at the admin's index, to keep the walk fast.
ADMIN_PERSONAS = ("admin", "coordinator", "outsider", "anonymous")
# The child's NHS number: synthetic (999 prefix), and not the example the report form's hint shows.
NHS_NUMBER = synthetic_nhs_number(random.Random(20261126))
CANARY = re.compile(r"CANARY-([a-z_]+)-[0-9a-f]{12}")
# Facts whose handling is "hub only" (police intelligence): never for staff outside the hub, allocated or not.
HUB_ONLY_CATEGORIES = {"police_intelligence"}
NOT_IN_HUB = {"allocated", "unallocated"}
# Personas with no relation to the world's child: its name and NHS number never reach them.
NO_RELATION = {"analyst", "auditor", "admin", "outsider", "unallocated", "anonymous"}
# The information-governance officer handles a child's subject-access request and legal holds by name.
IG_IDENTITY_ENDPOINTS = ("rights:",)


# The table


@dataclass(frozen=True)
class Row:
    endpoint: str
    method: str
    expected: dict[str, str]
    redirects: dict[str, str]

    def redirect_for(self, persona: str) -> str | None:
        return self.redirects.get(persona, self.redirects.get("*"))


def _redirects(note: str) -> dict[str, str]:
    """`anonymous=accounts:login; *=episodes:detail` -> {"anonymous": ..., "*": ...}."""
    pairs = [part.strip() for part in note.split(";") if part.strip()]
    return dict(pair.split("=", 1) for pair in pairs)


def load_table() -> dict[tuple[str, str], Row]:
    with TABLE.open(newline="", encoding="utf-8") as f:
        reader = csv.DictReader(f)
        assert reader.fieldnames == COLUMNS, (
            f"{TABLE.name} columns must be {COLUMNS}, not {reader.fieldnames}"
        )
        rows = {}
        for line in reader:
            key = (line["endpoint"], line["method"])
            assert key not in rows, f"{TABLE.name}: {key} appears twice"
            rows[key] = Row(
                endpoint=line["endpoint"],
                method=line["method"],
                expected={p: line[p] for p in PERSONAS},
                redirects=_redirects(line["redirects"]),
            )
    return rows


def test_the_table_is_well_formed() -> None:
    """Every cell is an HTTP status (`|` joins the ones an admin wildcard row allows), and every 302 says where."""
    problems = []
    for row in load_table().values():
        if row.method not in METHODS:
            problems.append(f"{row.endpoint} {row.method}: method must be one of {METHODS}")
        for persona, cell in row.expected.items():
            if not set(cell.split("|")) <= STATUSES or ("|" in cell and not row.endpoint.endswith(":*")):
                problems.append(f"{row.endpoint} {row.method} {persona}: {cell!r} is not a status")
            if "302" in cell.split("|") and row.redirect_for(persona) is None:
                problems.append(f"{row.endpoint} {row.method} {persona}: 302 without a `redirects` note")
    assert not problems, "\n".join(problems)


def fact_access() -> dict[tuple[str, str], set[str]]:
    """policy/fact-access.csv: (role, relation) -> the data categories of another agency's facts allowed."""
    with FACT_TABLE.open(newline="", encoding="utf-8") as f:
        reader = csv.DictReader(f)
        categories = [c for c in reader.fieldnames or [] if c not in {"role", "relation"}]
        return {(r["role"], r["relation"]): {c for c in categories if r[c] == "yes"} for r in reader}


# The patterns


@dataclass(frozen=True)
class Pattern:
    """One URL pattern: its table name (URL name, or `METHOD /api/path`), route and parameters."""

    name: str  # namespace:url_name, or the API's `/api/v1/...` template
    route: str
    converters: dict[str, str]
    kind: str  # page, api or admin
    is_regex: bool = False
    i18n: bool = False  # under i18n_patterns: also served under /cy/

    def key(self, method: str) -> str:
        if self.kind == "api":
            return f"{method} {self.name}"
        if self.kind == "admin":
            return "admin:*"
        return self.name


def collect_patterns() -> list[Pattern]:
    found: list[Pattern] = []

    def walk(patterns: list[Any], prefix: str, namespace: str | None, is_regex: bool, i18n: bool) -> None:
        for p in patterns:
            regex = is_regex or isinstance(p.pattern, RegexPattern)
            route = prefix + str(p.pattern)
            if isinstance(p, URLResolver):
                ns = p.namespace or None
                full = f"{namespace}:{ns}" if namespace and ns else (ns or namespace)
                walk(p.url_patterns, route, full, regex, i18n or isinstance(p.pattern, LocalePrefixPattern))
                continue
            assert isinstance(p, URLPattern)
            # Every parameter in the whole route, an include()'s prefix too: name -> converter.
            converters = {} if regex else {name: conv or "str" for conv, name in _PARAM.findall(route)}
            if namespace == "admin":
                found.append(Pattern("admin:*", route, converters, "admin", regex))
            elif namespace == "api":
                template = "/" + _PARAM.sub(r"{\2}", route)
                found.append(Pattern(template, route, converters, "api"))
            else:
                name = f"{namespace}:{p.name}" if namespace else str(p.name)
                found.append(Pattern(name, route, converters, "page", regex, i18n))

    walk(get_resolver().url_patterns, "", None, False, False)
    return found


_PARAM = re.compile(r"<(?:(\w+):)?(\w+)>")


def api_methods() -> dict[str, set[str]]:
    """The methods django-ninja routes for each path, from the OpenAPI schema (`/api/v1/...` templates)."""
    schema = api.get_openapi_schema()
    return {path: {m.upper() for m in ops} for path, ops in schema["paths"].items()}


# The world


@dataclass
class World:
    users: dict[str, User]
    tokens: dict[str, str]
    values: dict[str, str]
    # canary -> (data category, agency code)
    canaries: dict[str, tuple[str, str]] = field(default_factory=dict)
    # The child's name and NHS number: only for those who may see the child.
    identity: tuple[str, ...] = (
        "Walkden",
        NHS_NUMBER,
        f"{NHS_NUMBER[:3]} {NHS_NUMBER[3:6]} {NHS_NUMBER[6:]}",
    )


def _hours_ago(hours: float) -> datetime.datetime:
    return timezone.now() - datetime.timedelta(hours=hours)


def _non_hub_social_worker(username: str, agency: Agency) -> User:
    """A Monmouthshire social worker outside the hub team: sees only the children allocated to them."""
    kwargs: dict[str, Any] = {
        "username": username,
        "password": PERSONA_PASSWORD,
        "role": Role.SOCIAL_WORKER,
        "agency": agency,
        "first_name": "Nia",
        "last_name": username.title(),
    }
    if "hub_member" in inspect.signature(staff_create).parameters:
        return staff_create(**kwargs, hub_member=False)
    user = staff_create(**kwargs)
    # staff_create has no hub_member argument yet; the field is the relation the walk needs.
    User.objects.filter(pk=user.pk).update(hub_member=False)
    user.refresh_from_db()
    return user


def build_world() -> World:
    agencies = {a.code: a for a in partnership_seed()}
    service_directory_seed()
    for code, mappings in PARTNER_CODES.items():
        code_mappings_seed(agencies[code], mappings)
    users: dict[str, User] = dict(demo_staff_seed(password=PERSONA_PASSWORD))
    users["allocated"] = _non_hub_social_worker("allocated", agencies["MCC"])
    users["unallocated"] = _non_hub_social_worker("unallocated", agencies["MCC"])
    glass = _non_hub_social_worker("emergency", agencies["MCC"])
    coordinator, supervisor = users["coordinator"], users["supervisor"]

    episode = episode_report(
        reported_by=coordinator,
        child_details=PersonDetails(
            given_name="Seren",
            family_name="Walkden",
            date_of_birth=datetime.date(2011, 6, 2),
            sex="female",
            nhs_number=NHS_NUMBER,
            postcode="NP20 7AB",
        ),
        category="missing_from_home",
        reported_at=_hours_ago(6),
        reporter_name="Her mother",
        last_seen_at=_hours_ago(9),
        last_seen_place="Newport bus station",
        circumstances="Left after an argument.",
        council=agencies["NCC"],
    )
    child = episode.child
    world = World(users=users, tokens={}, values={})

    def canary(category: str) -> str:
        return f"CANARY-{category}-{secrets.token_hex(6)}"

    for code, fact_category, summary in [
        ("GWP", FactCategory.WARNING_MARKER, "Associates with a county lines group"),
        ("NCC", FactCategory.LOOKED_AFTER, "Placed with foster carers in Bettws"),
        ("ABUHB", FactCategory.HEALTH_NEED, "Missed a CAMHS appointment"),
        ("CCBC", FactCategory.ATTENDANCE, "Attendance 61% this term"),
    ]:
        fact = fact_add(
            child=child,
            agency=agencies[code],
            category=fact_category,
            summary=summary,
            recorded_on=datetime.date(2026, 1, 5),
            source="Agency system",
            actor=None,
        )
        planted = canary(fact.data_category)
        # The canary is the summary itself, so wherever the summary is shown the canary is.
        Fact.objects.filter(pk=fact.pk).update(summary=f"{summary} {planted}")
        world.canaries[planted] = (fact.data_category, code)

    risk = risk_grade_record(
        episode=episode,
        author=coordinator,
        grade="high",
        factors=[],
        rationale="Known exploitation concerns.",
        next_review_due=timezone.now() + datetime.timedelta(hours=4),
    )
    episode = episode_record_return(
        episode=episode,
        recorded_by=coordinator,
        returned_at=_hours_ago(2),
        found_where="A friend's flat",
        found_by="police",
        harm_suffered=False,
    )
    debrief = episode.debrief
    shared = canary("debrief_disclosure")
    debrief_record(
        debrief=debrief,
        worker=users["debrief"],
        status="held",
        offered_at=_hours_ago(1.5),
        held_at=_hours_ago(1),
        where_went="A flat",
        share_basis="consent",
        places_to_share=f"Skate park {shared}",
    )
    world.canaries[shared] = ("debrief_disclosure", debrief.provider.code)
    referral = referral_send(
        child=child,
        service=Service.objects.order_by("pk").first(),  # type: ignore[arg-type]
        referred_by=users["socialworker"],
        reason="Support after going missing.",
        consent_given=True,
        episode=episode,
    )
    allocation = _allocate(child=child, user=users["allocated"], by=supervisor)
    run = import_run(
        ImportRequest(
            format="police-csv",
            sources=[Source.from_path(str(FIXTURES / "police/occurrences_errors.csv"))],
            agency=agencies[users["admin"].agency.code],  # type: ignore[union-attr]
            actor=users["admin"],
            channel=ImportChannel.PAGE,
        )
    )
    decision = _possible_match(child, agencies)
    world.values.update(
        episode=str(episode.public_id),
        child=str(child.public_id),
        risk=str(risk.public_id),
        debrief=str(debrief.public_id),
        referral=str(referral.public_id),
        allocation=str(allocation.public_id) if allocation else "",
        run=str(run.public_id),
        decision=str(decision.public_id),
        fact=str(Fact.objects.filter(child=child, agency__code="NCC").order_by("pk").first().public_id),  # type: ignore[union-attr]
        format="police-csv",
    )
    _governance(world, child=child, glass=glass)
    # Briefings read by another agency are disclosures: one exists for the disclosure pages.
    wrong = fact_add(
        child=child,
        agency=agencies["NCC"],
        category=FactCategory.LOOKED_AFTER,
        summary="Placed in Cwmbran",
        recorded_on=datetime.date(2025, 12, 1),
        source="WCCIS",
        actor=None,
    )
    briefing_for(user=users["nurse"], episode=episode)
    _disclosure(world)
    _rights(world, child=child, wrong=wrong)
    _risk_and_response(world, child=child, episode=episode)
    _places(world)
    _feedback(world, debrief=debrief)
    _persons_of_concern(world, child=child, police=agencies["GWP"])
    _debrief_workspace(world, debrief=debrief)
    for name, user in users.items():
        world.tokens[name] = api_token_issue(user=user, name=f"walk-{name}")
    return world


def _places(world: World) -> None:
    """Issue 7: the places drill-down's key for where the world's child was found ("A friend's flat", which no
    gazetteer place matches, so it is an unlocated place keyed by a hash of its text)."""
    from hafan.analytics.places import unlocated_key

    world.values["place"] = unlocated_key("A friend's flat")
    world.values["chart"] = "trend"  # issue 8: a chart's CSV (/dashboard/charts/<chart_id>.csv)
    world.values["report_quarter"] = "2026-q2"  # issue 8: /dashboard/reports/<quarter>.pdf, .csv, .xlsx


def _risk_and_response(world: World, *, child: Any, episode: Any) -> None:
    """Issue 6: an open information request (the health board's), a plan waiting for the social worker, an
    information profile with a photo, a hub task from a screening, and a notice (the coordinator's assignment)."""
    import io

    from PIL import Image

    from hafan.episodes.models import InformationRequest, InformationService
    from hafan.episodes.services import episode_assign
    from hafan.notifications.models import Notification
    from hafan.people.services import child_profile_save, response_plan_propose
    from hafan.risk.models import HubTask
    from hafan.risk.triggers import screening_record

    users = world.users
    request = InformationRequest.objects.get(episode=episode, service=InformationService.HEALTH)
    plan = response_plan_propose(
        child=child,
        proposed_by=users["coordinator"],
        plan="Treat as high risk; carers check the skate park first.",
        treat_as_grade="high",
        likelihood="high",
        harm="high",
        review_due=timezone.localdate() + datetime.timedelta(days=90),
        based_on=None,
    )
    photo = io.BytesIO()
    Image.new("RGB", (40, 50), (90, 120, 160)).save(photo, format="PNG")
    child_profile_save(
        child=child,
        prepared_by=users["socialworker"],
        based_on_version=None,
        description="Slim, dark hair",
        places="Skate park",
        photo=photo.getvalue(),
        photo_content_type="image/png",
    )
    screening_record(
        child=child,
        episode=episode,
        screened_by=users["socialworker"],
        answers={"carries_weapon": True, "gang_places": True, "returns_injured": True},
    )
    episode_assign(episode=episode, assigned_by=users["supervisor"], assignee=users["coordinator"])
    world.values.update(
        information_request=str(request.public_id),
        plan=str(plan.public_id),
        hub_task=str(HubTask.objects.filter(child=child).order_by("pk").first().public_id),  # type: ignore[union-attr]
        notification=str(Notification.objects.filter(recipient=users["coordinator"]).first().public_id),  # type: ignore[union-attr]
    )


def _debrief_workspace(world: World, *, debrief: Any) -> None:
    """Issue 7: a contact attempt and a family mediation session planned from the held debrief."""
    from hafan.debriefs.services import contact_attempt_record, mediation_session_plan

    contact_attempt_record(
        debrief=debrief, worker=world.users["debrief"], at=_hours_ago(1.8), method="phone", outcome="reached"
    )
    session = mediation_session_plan(
        debrief=debrief,
        planned_by=world.users["debrief"],
        scheduled_for=timezone.now() + datetime.timedelta(days=3),
    )
    world.values["mediation_session"] = str(session.public_id)


def _feedback(world: World, *, debrief: Any) -> None:
    """Issue 7: a fresh one-time feedback link for the held debrief, so the young person's page answers 200 (each
    request is rolled back, so a POST never uses it up for the next persona)."""
    from hafan.feedback.services import feedback_link_create

    _link, token = feedback_link_create(debrief=debrief, actor=world.users["debrief"])
    world.values["feedback_token"] = token


def _persons_of_concern(world: World, *, child: Any, police: Agency) -> None:
    """Issue 7: an adult the police name as an associate of two children, so a person of concern exists."""
    from hafan.analytics.network_selectors import person_key

    other = child_create(
        details=PersonDetails(
            given_name="Tomos", family_name="Harcombe", date_of_birth=datetime.date(2010, 8, 14), sex="male"
        ),
        actor=None,
        purpose=Purpose.AGENCY_FEED,
    )
    for named in (child, other):
        fact_add(
            child=named,
            agency=police,
            category=FactCategory.ASSOCIATE,
            summary="Aled Price (about 24), known as 'Smokey'",
            recorded_on=datetime.date(2026, 1, 6),
            source="Niche RMS POLE associate",
            actor=None,
        )
    world.values["person"] = person_key("aled price")


def _allocate(*, child: Any, user: User, by: User) -> Any:
    from hafan.people import services as people_services

    start = getattr(people_services, "allocation_start", None)
    if start is None:
        return None
    return start(child=child, user=user, kind="case_holder", allocated_by=by)


def _possible_match(child: Any, agencies: dict[str, Agency]) -> Any:
    """A second identity the model is unsure about, for the review pages."""
    details = PersonDetails(
        given_name="Serena", family_name="Walkden", date_of_birth=datetime.date(2011, 6, 2), sex="female"
    )
    other = child_create(details=details, actor=None, purpose=Purpose.AGENCY_FEED)
    record = source_record_upsert(
        child=other,
        agency=agencies["ABUHB"],
        system="WPAS",
        local_id="H-1",
        details=details,
        recorded_on=datetime.date(2026, 1, 10),
        actor=None,
    )
    report = SourceRecord.objects.filter(child=child).order_by("pk").first()
    assert report is not None
    low, high = sorted((report.pk, record.pk))
    return decision_upsert(
        score=PairScore(low, high, 0.9, 3.17, (FieldEvidence("date_of_birth", "exact", 7.2),)),
        model_version=None,
        status=DecisionStatus.PENDING,
    )


def _governance(world: World, *, child: Any, glass: User) -> None:
    """The hub's agreement (partnership_seed makes it) and an emergency access by a worker the walk doesn't use."""
    try:
        from hafan.sharing import services as sharing_services
        from hafan.sharing.models import BreakGlassGrant, SharingAgreement
    except ImportError:  # pragma: no cover - before the sharing services exist
        return
    seed = getattr(sharing_services, "gwent_hub_agreement_seed", None)
    if seed is not None:
        seed()
    agreement = SharingAgreement.objects.order_by("pk").first()
    if agreement is not None:
        world.values["agreement"] = str(agreement.public_id)
    open_grant = getattr(sharing_services, "break_glass_open", None)
    if open_grant is not None:
        open_grant(
            user=glass,
            child=child,
            reason=sorted(BreakGlassGrant._meta.get_field("reason").choices or [("", "")])[0][0],
            justification="Child missing overnight; the allocated worker cannot be reached.",
            password=PERSONA_PASSWORD,
        )
    grant = BreakGlassGrant.objects.order_by("pk").first()
    if grant is not None:
        world.values["grant"] = str(grant.public_id)


def _rights(world: World, *, child: Any, wrong: Fact) -> None:
    """A subject-access request, a rectification notice (a corrected fact another agency was shown) and a
    legal hold, through the rights services."""
    try:
        from hafan.rights import services as rights
    except ImportError:  # pragma: no cover - before the rights app exists
        return
    auditor = world.users["auditor"]
    sar = rights.subject_access_request_create(
        child=child, reference="SAR-WALK-1", received_on=timezone.localdate(), user=auditor
    )
    world.values["sar"] = str(sar.public_id)
    # The nurse's briefing showed NCC's facts, this one included, to ABUHB: correcting it owes ABUHB a notice.
    rights.fact_rectify(
        fact=wrong,
        corrected_summary="Placed in Bettws",
        reason="Wrong town",
        user=world.users["socialworker"],
    )
    from hafan.rights.models import RectificationNotice
    from hafan.sharing.models import LegalHold

    notice = RectificationNotice.objects.order_by("pk").first()
    if notice is not None:
        world.values["notice"] = str(notice.public_id)
    rights.legal_hold_place(child=child, reason="Civil claim expected", user=auditor)
    world.values["hold"] = str(LegalHold.objects.order_by("pk").get().public_id)


def _disclosure(world: World) -> None:
    from hafan.sharing.models import Disclosure

    disclosure = Disclosure.objects.order_by("pk").first()
    if disclosure is not None:
        world.values["disclosure"] = str(disclosure.public_id)


# Path parameters: (endpoint, parameter) -> which world value fills it. `ns:*` covers a whole namespace.
# A parameter not listed here fails the walk: say what it names before the walk can request it.
PARAMETERS: dict[tuple[str, str], str] = {
    ("episodes:*", "public_id"): "episode",
    ("episodes:risk_confirm", "assessment_id"): "risk",
    ("debriefs:*", "public_id"): "debrief",
    ("referrals:new_for_episode", "public_id"): "episode",
    ("referrals:new_for_debrief", "public_id"): "debrief",
    ("referrals:update", "public_id"): "referral",
    ("referrals:detail", "public_id"): "referral",  # issue 7: a referral's page and its NRM form
    ("referrals:nrm", "public_id"): "referral",
    ("/api/v1/referrals/{public_id}/response", "public_id"): "referral",
    ("linkage:review", "public_id"): "decision",
    ("linkage:records", "public_id"): "child",
    ("ingest:*", "public_id"): "run",
    ("people:*", "public_id"): "child",
    ("people:allocation_end", "allocation_id"): "allocation",
    ("people:fact_restrict", "public_id"): "fact",
    ("governance:*", "public_id"): "agreement",
    ("governance:break_glass_review", "public_id"): "grant",
    ("governance:disclosure_told", "public_id"): "disclosure",
    ("rights:request_detail", "public_id"): "sar",
    ("rights:request_download", "public_id"): "sar",
    ("rights:request_extend", "public_id"): "sar",
    ("rights:request_close", "public_id"): "sar",
    ("rights:notice_sent", "public_id"): "notice",
    ("rights:hold_lift", "public_id"): "hold",
    ("/api/v1/episodes/{public_id}/briefing", "public_id"): "episode",
    ("/api/v1/episodes/{public_id}/risk", "public_id"): "episode",
    ("/api/v1/episodes/{public_id}/return", "public_id"): "episode",
    ("/api/v1/risk/{public_id}/confirm", "public_id"): "risk",
    ("/api/v1/debriefs/{public_id}", "public_id"): "debrief",
    ("/api/v1/imports/runs/{public_id}", "public_id"): "run",
    ("/api/v1/imports/{format_name}", "format_name"): "format",
    # Risk and response (issue 6).
    ("episodes:information_answer", "request_id"): "information_request",
    ("episodes:response_plan_decide", "plan_id"): "plan",
    ("risk:task", "public_id"): "hub_task",
    ("risk:screening", "child_id"): "child",
    ("notifications:open", "public_id"): "notification",
    ("/api/v1/information-requests/{public_id}/answer", "public_id"): "information_request",
    # Patterns across children (issue 7): a place's drill-down.
    ("patterns:place", "key"): "place",
    # The young person's feedback (issue 7).
    ("feedback:answer", "token"): "feedback_token",
    ("feedback:link_create", "public_id"): "debrief",
    # The debrief workspace (issue 7): a family mediation session ("debriefs:*" covers the rest).
    ("debriefs:mediation", "session_id"): "mediation_session",
    # Patterns across children (issue 7): persons of concern.
    ("patterns:person", "key"): "person",
    # The dashboard's charts (issue 8): a chart's CSV.
    ("analytics:chart_csv", "chart_id"): "chart",
    ("analytics:report_pdf", "quarter"): "report_quarter",
    ("analytics:report_csv", "quarter"): "report_quarter",
    ("analytics:report_xlsx", "quarter"): "report_quarter",
}
# Values that name nothing, by converter: the 404 a refusal must be identical to.
MISSING = {"uuid": "0b6e1bd4-4b7c-4c47-9d53-000000000000", "str": "0b6e1bd4-4b7c-4c47-9d53-000000000000"}
MISSING_INT = "2147483000"


def _param_value(pattern: Pattern, name: str, world: World) -> str:
    if pattern.kind == "admin":
        return _admin_value(pattern, name, world)
    namespace = pattern.name.split(":", 1)[0] + ":*" if ":" in pattern.name else ""
    source = PARAMETERS.get((pattern.name, name)) or PARAMETERS.get((namespace, name))
    if source is None:
        pytest.fail(
            f"{pattern.name} ({pattern.route}) has a parameter {name!r} the walk cannot fill: add it to "
            "PARAMETERS in tests/integration/test_endpoint_walk.py (and the world, if it names something new)."
        )
    value = world.values.get(source, "")
    if not value:
        pytest.fail(
            f"{pattern.name}: the world has no {source!r} for parameter {name!r}; build one in build_world()."
        )
    return value


def _admin_value(pattern: Pattern, name: str, world: World) -> str:
    """Admin pages name a model's object: the first one of that model (or the admin persona itself)."""
    admin_user = world.users["admin"]
    if name == "content_type_id":
        return str(ContentType.objects.get_for_model(User).pk)
    if name in {"id", "object_id"} and pattern.route.startswith("admin/r/"):
        return str(admin_user.pk)
    match = re.match(r"admin/(\w+)/(\w+)/", pattern.route)
    if match is None:
        return str(admin_user.pk)
    model = apps.get_model(match[1], match[2])
    obj = model._default_manager.order_by("pk").first()
    return str(obj.pk) if obj is not None else MISSING_INT


def _missing_value(pattern: Pattern, name: str, index: int) -> str:
    """A value that names nothing, different for each parameter of the pattern."""
    converter = pattern.converters.get(name, "str")
    if converter in {"int", "path"}:
        return str(int(MISSING_INT) + index)
    return MISSING.get(converter, MISSING["str"])[:-2] + f"{index:02d}"


def _url(pattern: Pattern, values: dict[str, str], *, welsh: bool = False) -> str:
    if pattern.is_regex:
        route = pattern.route
        if "(?P<app_label>" in route:
            return "/admin/accounts/"
        return "/admin/no-such-page/"
    path = "/" + _PARAM.sub(lambda m: values[m[2]], pattern.route)
    return ("/cy" + path) if welsh else path


# Requests


@dataclass(frozen=True)
class Seen:
    key: tuple[str, str]
    persona: str
    url: str
    status: int
    location: str
    body: bytes
    headers: dict[str, str]
    welsh: bool = False
    error: str = ""  # the exception behind a 500


def _body(response: Any) -> bytes:
    if getattr(response, "streaming", False):
        return b"".join(response.streaming_content)
    return bytes(response.content)


class Walker:
    def __init__(self, client_class: type[Client], world: World) -> None:
        self.world = world
        self.client_class = client_class
        self.clients: dict[str, Client] = {}
        for persona in PERSONAS:
            client = client_class(enforce_csrf_checks=False, raise_request_exception=False)
            if persona != "anonymous":
                client.force_login(world.users[persona])
            self.clients[persona] = client
        self.api_client = client_class(enforce_csrf_checks=False, raise_request_exception=False)

    def request(self, persona: str, method: str, url: str, *, api_call: bool) -> Any:
        """One request, rolled back afterwards, with the client's cookies restored (a logout must not stick)."""
        client = self.api_client if api_call else self.clients[persona]
        headers = {}
        if api_call and persona != "anonymous":
            headers["Authorization"] = f"Bearer {self.world.tokens[persona]}"
        cookies = copy.deepcopy(client.cookies)
        try:
            with transaction.atomic():
                if method == "GET":
                    response = client.get(url, headers=headers)
                else:
                    response = client.post(url, {}, headers=headers)
                transaction.set_rollback(True)
        finally:
            client.cookies = cookies
        return response


def walk(
    walker: Walker, patterns: list[Pattern], routed: dict[str, set[str]]
) -> tuple[list[Seen], list[str]]:
    seen: list[Seen] = []
    problems: list[str] = []
    world = walker.world
    for pattern in patterns:
        values = {name: _param_value(pattern, name, world) for name in pattern.converters}
        url = _url(pattern, values)
        for method in METHODS:
            if pattern.kind == "api" and pattern.name in routed and method not in routed[pattern.name]:
                # A method the API does not route: 405 whoever asks, before any token is looked at.
                for persona in ("anonymous", "coordinator"):
                    status = walker.request(persona, method, url, api_call=True).status_code
                    if status != 405:
                        problems.append(
                            f"{method} {pattern.name} as {persona}: {status}, not 405 (not routed)"
                        )
                continue
            key = (pattern.key(method), method)
            for persona in PERSONAS:
                if pattern.kind == "admin" and persona not in ADMIN_PERSONAS and pattern.route != "admin/":
                    continue
                response = walker.request(persona, method, url, api_call=pattern.kind == "api")
                seen.append(_seen(key, persona, url, response))
                if pattern.i18n and method == "GET" and persona in WELSH_PERSONAS:
                    welsh = _url(pattern, values, welsh=True)
                    seen.append(
                        _seen(
                            key,
                            persona,
                            welsh,
                            walker.request(persona, method, welsh, api_call=False),
                            welsh=True,
                        )
                    )
    return seen, problems


def _seen(key: tuple[str, str], persona: str, url: str, response: Any, *, welsh: bool = False) -> Seen:
    return Seen(
        key=key,
        persona=persona,
        url=url,
        status=response.status_code,
        location=response.get("Location", ""),
        body=_body(response),
        headers={k.lower(): v for k, v in response.items()},
        welsh=welsh,
        error=repr(exc[1]) if (exc := getattr(response, "exc_info", None)) else "",
    )


# Checks


def _redirect_name(location: str) -> str:
    path = urlsplit(location).path
    language = "cy" if path.startswith("/cy/") else settings.LANGUAGE_CODE
    try:
        with translation.override(language):
            match = resolve(path)
    except Resolver404:
        return f"(unresolvable {path})"
    return match.view_name


def check_table(seen: list[Seen], table: dict[tuple[str, str], Row]) -> list[str]:
    problems = []
    walked = {s.key for s in seen}
    for key in sorted(walked - table.keys()):
        problems.append(f"MISSING FROM TABLE: {key[0]} {key[1]} (add a row to policy/endpoints.csv)")
    for key in sorted(table.keys() - walked):
        problems.append(f"STALE ROW: {key[0]} {key[1]} is in policy/endpoints.csv but no URL pattern has it")
    for s in seen:
        row = table.get(s.key)
        if row is None:
            continue
        allowed = row.expected[s.persona].split("|")
        if str(s.status) not in allowed:
            problems.append(
                f"{s.key[0]} {s.key[1]} as {s.persona}: expected {row.expected[s.persona]}, got {s.status} ({s.url})"
                + (f" {s.error}" if s.error else "")
            )
        elif s.status == 302:
            want = row.redirect_for(s.persona)
            got = _redirect_name(s.location)
            if got not in (want or "").split("|"):
                problems.append(
                    f"{s.key[0]} {s.key[1]} as {s.persona}: redirected to {got}, table says {want}"
                )
    return problems


def check_welsh(seen: list[Seen]) -> list[str]:
    english = {(s.key, s.persona): s.status for s in seen if not s.welsh}
    return [
        f"{s.key[0]} GET as {s.persona}: /cy/ answers {s.status}, English {english[(s.key, s.persona)]} ({s.url})"
        for s in seen
        if s.welsh and english.get((s.key, s.persona)) != s.status
    ]


def check_headers(seen: list[Seen]) -> list[str]:
    problems = []
    for s in seen:
        h = s.headers
        missing = []
        if "no-store" not in h.get("cache-control", ""):
            missing.append("Cache-Control: no-store")
        if h.get("x-content-type-options") != "nosniff":
            missing.append("X-Content-Type-Options: nosniff")
        if h.get("x-frame-options") != "DENY":
            missing.append("X-Frame-Options: DENY")
        if not h.get("referrer-policy"):
            missing.append("Referrer-Policy")
        if not h.get("content-security-policy"):
            missing.append("Content-Security-Policy")
        if missing:
            problems.append(f"{s.key[0]} {s.key[1]} as {s.persona} ({s.status}): no {', '.join(missing)}")
    return problems


def _allowed_categories(
    persona: str, world: World, access: dict[tuple[str, str], set[str]]
) -> Callable[[str, str], bool]:
    """May this persona see another agency's (or their own agency's) fact of this category about the child?"""
    if persona == "anonymous":
        return lambda category, agency: False
    user = world.users[persona]
    role = str(user.role)
    in_partnership = bool(user.agency and user.agency.in_partnership)
    if not in_partnership:
        return lambda category, agency: False
    relation = {"allocated": "allocated", "unallocated": "none", "debrief": "allocated"}.get(
        persona, "hub_member"
    )
    casework_or_debrief = role in {
        "police_coordinator",
        "police_supervisor",
        "social_worker",
        "health_nurse",
        "education_worker",
        "debrief_worker",
    }
    own = user.agency.code if user.agency else ""
    table = access.get((role, relation), set())

    def allowed(category: str, agency: str) -> bool:
        if casework_or_debrief and agency == own:
            return True
        if persona in NOT_IN_HUB and category in HUB_ONLY_CATEGORIES:
            return False
        return category in table

    return allowed


def check_canaries(seen: list[Seen], world: World) -> list[str]:
    access = fact_access()
    problems = []
    shown: Counter[str] = Counter()
    allowed = {p: _allowed_categories(p, world, access) for p in PERSONAS}
    for s in seen:
        text = s.body.decode("utf-8", errors="replace")
        for found in {m.group(0) for m in CANARY.finditer(text)}:
            category, agency = world.canaries.get(found, ("?", "?"))
            if s.status >= 300:
                problems.append(
                    f"{s.key[0]} {s.key[1]} as {s.persona}: refused ({s.status}) but shows {category}"
                )
            elif not allowed[s.persona](category, agency):
                problems.append(
                    f"{s.key[0]} {s.key[1]} as {s.persona}: shows {category} from {agency}, out of scope"
                )
            else:
                shown[found] += 1
        if s.persona in NO_RELATION or s.status >= 300:
            exempt = s.persona == "auditor" and s.key[0].startswith(IG_IDENTITY_ENDPOINTS)
            problems += [
                f"{s.key[0]} {s.key[1]} as {s.persona} ({s.status}): shows the child's {value!r}"
                for value in world.identity
                if value in text and not exempt
            ]
    for planted, (category, _agency) in world.canaries.items():
        if not shown[planted]:
            problems.append(
                f"canary for {category} was never shown to anyone: the canary check would prove nothing"
            )
    return problems


_NOISE = [
    (re.compile(rb'name="csrfmiddlewaretoken" value="[^"]*"'), b'name="csrfmiddlewaretoken" value=""'),
    (re.compile(rb'"X-CSRFToken": "[^"]*"'), b'"X-CSRFToken": ""'),
    (re.compile(rb'nonce="[^"]*"'), b'nonce=""'),
]


def _normalised(body: bytes, replacements: dict[str, str], request_id: str) -> bytes:
    for pattern, replacement in _NOISE:
        body = pattern.sub(replacement, body)
    for value, placeholder in replacements.items():
        body = body.replace(value.encode(), placeholder.encode())
    if request_id:
        body = body.replace(request_id.encode(), b"{request_id}")
    return body


def check_refusals_reveal_nothing(walker: Walker, seen: list[Seen], patterns: list[Pattern]) -> list[str]:
    """A 404 for a record that exists must be the 404 for one that does not, byte for byte."""
    problems = []
    by_url = {
        _url(p, {n: _param_value(p, n, walker.world) for n in p.converters}): p
        for p in patterns
        if p.converters
    }
    for s in seen:
        pattern = by_url.get(s.url)
        if s.status != 404 or pattern is None or s.welsh or pattern.kind == "admin":
            continue
        fake = {n: _missing_value(pattern, n, i) for i, n in enumerate(pattern.converters)}
        fake_url = _url(pattern, fake)
        other = walker.request(s.persona, s.key[1], fake_url, api_call=pattern.kind == "api")
        if other.status_code != 404:
            problems.append(
                f"{s.key[0]} {s.key[1]} as {s.persona}: 404 for the real record, {other.status_code} for none"
            )
            continue
        # A page may echo its own address (the language links): that is what the user typed, not a leak.
        mine = _normalised(s.body, {s.url: "{url}"}, s.headers.get("x-request-id", ""))
        theirs = _normalised(_body(other), {fake_url: "{url}"}, other.get("X-Request-ID", ""))
        if mine != theirs:
            problems.append(
                f"{s.key[0]} {s.key[1]} as {s.persona}: the refusal differs from the 404 for no record"
            )
    return problems


def _write_observed(path: str, seen: list[Seen]) -> None:
    """For a person updating the table: what the running system answered, in the table's shape."""
    cells: dict[tuple[str, str], dict[str, set[str]]] = defaultdict(lambda: defaultdict(set))
    where: dict[tuple[str, str], dict[str, set[str]]] = defaultdict(lambda: defaultdict(set))
    for s in seen:
        if s.welsh:
            continue
        cells[s.key][s.persona].add(str(s.status))
        if s.status == 302:
            where[s.key][s.persona].add(_redirect_name(s.location))
    with open(path, "w", newline="", encoding="utf-8") as f:
        out = csv.writer(f, lineterminator="\n")
        out.writerow(COLUMNS)
        for key in sorted(cells):
            targets = {p: "|".join(sorted(t)) for p, t in where[key].items()}
            common = Counter(targets.values()).most_common(1)
            default = common[0][0] if common else ""
            note = "; ".join(
                [f"{p}={t}" for p, t in targets.items() if t != default]
                + ([f"*={default}"] if default else [])
            )
            out.writerow([*key, *("|".join(sorted(cells[key][p])) for p in PERSONAS), note])


# The walk


def test_every_endpoint_answers_every_persona_as_the_table_says(client: Client, db: Any) -> None:
    world = build_world()
    patterns = collect_patterns()
    walker = Walker(type(client), world)
    seen, problems = walk(walker, patterns, api_methods())
    table = load_table()
    if observed := os.environ.get("HAFAN_ENDPOINTS_OBSERVED"):
        _write_observed(observed, seen)
    sections = {
        "Endpoints and statuses (policy/endpoints.csv)": check_table(seen, table) + problems,
        "Welsh pages": check_welsh(seen),
        "Refusals that reveal a record exists": check_refusals_reveal_nothing(walker, seen, patterns),
        "Canaries in refused or out-of-scope responses": check_canaries(seen, world),
        "Secure headers": check_headers(seen),
    }
    report = [
        f"\n== {title} ({len(items)})\n" + "\n".join(f"  {i}" for i in items)
        for title, items in sections.items()
        if items
    ]
    assert not report, "\n".join(report)
