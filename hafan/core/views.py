from __future__ import annotations

from typing import Any

from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render

from hafan.episodes.selectors import open_episodes_for
from hafan.sharing import policy
from hafan.sharing.access import actor_for


def home(request: HttpRequest) -> HttpResponse:
    """Each role lands where its work is."""
    actor = actor_for(request.user)
    if policy.is_casework(actor):
        return render(request, "core/home.html", {"open_episodes": open_episodes_for(request.user)[:50]})
    if policy.is_debrief_worker(actor):
        return redirect("debriefs:queue")
    if policy.can_view_dashboard(actor):
        return redirect("analytics:dashboard")
    if policy.can_view_audit_trail(actor):
        return redirect("sharing:audit")
    if policy.can_import_agency_data(actor, agency_code=actor.agency_code or ""):
        return redirect("ingest:imports")
    return render(request, "core/no_access.html")


def not_found(request: HttpRequest, exception: Any = None) -> HttpResponse:
    return render(request, "404.html", status=404)
