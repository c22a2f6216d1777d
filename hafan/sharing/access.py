"""Turns a signed-in user into the policy's inputs: the Actor, their relation to a child, and the shares that
active agreements cover. Everything else asks hafan.sharing.policy; nothing here decides access itself."""

from __future__ import annotations

import datetime
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any

from django.db.models import Q, QuerySet
from django.utils import timezone

from hafan.core.vocabulary import AgencyKind, DataCategory, Relation, Role
from hafan.sharing import policy
from hafan.sharing.models import AgreementParty, AgreementStatus, BreakGlassGrant
from hafan.sharing.policy import Actor

NOBODY = Actor(role=None, agency_code=None, agency_kind=None, in_partnership=False, is_active=False)


def actor_for(user: Any) -> Actor:
    if user is None or not getattr(user, "is_authenticated", False):
        return NOBODY
    agency = user.agency
    return Actor(
        role=Role(user.role) if user.role else None,
        agency_code=agency.code if agency else None,
        agency_kind=AgencyKind(agency.kind) if agency else None,
        in_partnership=bool(agency and agency.in_partnership),
        is_active=user.is_active,
        hub_member=bool(getattr(user, "hub_member", False)),
    )


def _active_grants(user: Any, now: datetime.datetime) -> QuerySet[BreakGlassGrant]:
    return BreakGlassGrant.objects.filter(user=user, granted_at__lte=now, expires_at__gt=now)


def break_glass_grant_for(
    user: Any, child: Any, *, now: datetime.datetime | None = None
) -> BreakGlassGrant | None:
    if not getattr(user, "is_authenticated", False):
        return None
    return _active_grants(user, now or timezone.now()).filter(child=child).order_by("-expires_at").first()


# Within one request the same (user, child) relation is asked by every part of a page (the briefing, its facts,
# the information call, the profile, the tasks...): it is worked out once per request and remembered until the
# request ends, or until a write in that request changes it (`forget_relations`). Outside a request (commands,
# services called directly) nothing is remembered.
_relations: ContextVar[dict[tuple[int, int], Relation] | None] = ContextVar("hafan_relations", default=None)


@contextmanager
def relations_remembered() -> Iterator[None]:
    """Remember relations for the duration of one request (core.middleware.RequestIdMiddleware)."""
    token = _relations.set({})
    try:
        yield
    finally:
        _relations.reset(token)


def forget_relations() -> None:
    """Called by the writes that change who is related to a child: allocations, emergency access, merges."""
    remembered = _relations.get()
    if remembered is not None:
        remembered.clear()


def relation_to(user: Any, child: Any, *, now: datetime.datetime | None = None) -> Relation:
    """The user's relation to the child, strongest first: allocated, emergency access, hub member, none.
    Asked afresh on every request, so ending an allocation or a grant takes effect at once."""
    if not getattr(user, "is_authenticated", False) or not user.is_active:
        return Relation.NONE
    remembered = _relations.get() if now is None else None
    key = (user.pk, child.pk)
    if remembered is not None and key in remembered:
        return remembered[key]
    relation = _relation_now(user, child, now=now or timezone.now())
    if remembered is not None:
        remembered[key] = relation
    return relation


def _relation_now(user: Any, child: Any, *, now: datetime.datetime) -> Relation:
    from hafan.people.models import Allocation  # people imports sharing: import here to avoid the cycle

    if (
        Allocation.objects.filter(user=user, child=child, started_at__lte=now)
        .filter(Q(ended_at__isnull=True) | Q(ended_at__gt=now))
        .exists()
    ):
        return Relation.ALLOCATED
    actor = actor_for(user)
    if (
        policy.is_debrief_worker(actor)
        and child.episodes.filter(debrief__provider__code=actor.agency_code).exists()
    ):
        return Relation.ALLOCATED  # the charity was asked to debrief this child
    if break_glass_grant_for(user, child, now=now) is not None:
        return Relation.BREAK_GLASS
    if actor.hub_member:
        return Relation.HUB_MEMBER
    return Relation.NONE


def child_ids_related_to(user: Any, *, now: datetime.datetime | None = None) -> QuerySet[Any]:
    """Ids of the children a casework user outside the hub may see: allocated, or opened in an emergency."""
    from hafan.people.models import Allocation

    now = now or timezone.now()
    allocated = Allocation.objects.filter(user=user, started_at__lte=now).filter(
        Q(ended_at__isnull=True) | Q(ended_at__gt=now)
    )
    grants = _active_grants(user, now)
    from hafan.people.models import Child

    return Child.objects.filter(
        Q(pk__in=allocated.values("child_id")) | Q(pk__in=grants.values("child_id"))
    ).values("pk")


def share_graph(*, today: datetime.date | None = None) -> dict[tuple[str, str, str], tuple[int, str]]:
    """Every (providing agency, receiving agency, data category) an active agreement covers, with the
    agreement and the provider's lawful basis (the first agreement by reference wins where two cover it).
    One query: it runs on every read of a child's facts."""
    today = today or timezone.localdate()
    rows = list(
        AgreementParty.objects.filter(
            agreement__status=AgreementStatus.ACTIVE, agreement__starts_on__lte=today
        )
        .filter(Q(agreement__ends_on__isnull=True) | Q(agreement__ends_on__gte=today))
        .order_by("agreement__reference", "agency__code")
        .values_list(
            "agreement_id",
            "agreement__data_categories",
            "agency__code",
            "lawful_basis",
            "provides",
            "receives",
        )
    )
    by_agreement: dict[int, list[tuple[Any, ...]]] = {}
    for row in rows:
        by_agreement.setdefault(row[0], []).append(row)
    graph: dict[tuple[str, str, str], tuple[int, str]] = {}
    for agreement_id, parties in by_agreement.items():
        categories = [c for c in (parties[0][1] or []) if c in DataCategory.values]
        for _a, _c, provider, basis, provides, _r in parties:
            if not provides:
                continue
            for _a2, _c2, recipient, _b, _p, receives in parties:
                if recipient == provider or not receives:
                    continue
                for category in categories:
                    graph.setdefault((provider, recipient, category), (agreement_id, basis))
    return graph
