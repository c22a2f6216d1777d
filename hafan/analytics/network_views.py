"""Pages for the co-missing network and persons of concern (issue 7, item 6). Reads go through
network_selectors, which check the policy (404 for anyone else), audit the view and log the disclosures."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.http import require_http_methods

from hafan.analytics.network_forms import PeriodForm
from hafan.analytics.network_selectors import (
    co_missing_for,
    person_of_concern_get_for_user,
    persons_of_concern_for,
)
from hafan.analytics.networks import EvidenceKind
from hafan.analytics.persons import AgeStatus
from hafan.core.errors import NotFoundOrNoAccess
from hafan.sharing import policy
from hafan.sharing.access import actor_for


@require_http_methods(["GET"])
def co_missing(request: HttpRequest) -> HttpResponse:
    if not policy.can_view_patterns(actor_for(request.user)):
        raise NotFoundOrNoAccess
    form = PeriodForm(request.GET or None, today=timezone.localdate())
    start, end = form.period()
    network = co_missing_for(user=request.user, start=start, end=end)
    children = network.children
    groups = [
        {
            "number": index + 1,
            "group": group,
            "members": [children[c] for c in group.members],
        }
        for index, group in enumerate(network.groups)
    ]
    pairs = network.pairs
    return render(
        request,
        "analytics/patterns/co_missing.html",
        {
            "form": form,
            "network": network,
            "groups": groups,
            "pairs": [
                {
                    "pair": p,
                    "a": children[p.a],
                    "b": children[p.b],
                    "recurs": p.recurs(min_occasions=network.min_occasions),
                }
                for p in pairs
            ],
            "nodes": [{"node": n, "child": children[n.child_id]} for n in network.drawing.nodes],
            "kinds": EvidenceKind,
        },
    )


SORTS: dict[str, Any] = {
    "name": lambda row: row.person.name.lower(),
    "children": lambda row: row.person.children,
    "mentions": lambda row: len(row.person.mentions),
    "first": lambda row: row.person.first_mention,
    "last": lambda row: row.person.last_mention,
}


@require_http_methods(["GET"])
def persons(request: HttpRequest) -> HttpResponse:
    if not policy.can_view_persons_of_concern(actor_for(request.user)):
        raise NotFoundOrNoAccess
    found = persons_of_concern_for(user=request.user)
    sort = request.GET.get("sort", "")
    descending = request.GET.get("order", "") != "ascending"
    rows = found.rows
    if sort in SORTS:
        rows = sorted(rows, key=SORTS[sort], reverse=descending)
    else:
        sort = ""
    return render(
        request,
        "analytics/patterns/persons.html",
        {
            "found": found,
            "rows": rows,
            "sort": sort,
            "descending": descending,
            "columns": ["name", "children", "mentions", "first", "last"],
            "unknown_age": AgeStatus.UNKNOWN,
        },
    )


@require_http_methods(["GET"])
def person(request: HttpRequest, key: str) -> HttpResponse:
    detail = person_of_concern_get_for_user(user=request.user, key=key)
    return render(
        request,
        "analytics/patterns/persons_detail.html",
        {"detail": detail, "person": detail.person, "unknown_age": AgeStatus.UNKNOWN},
    )
