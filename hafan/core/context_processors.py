from __future__ import annotations

from typing import Any

from django.conf import settings
from django.http import HttpRequest

from hafan.ingest.selectors import may_open_imports
from hafan.notifications.selectors import unread_count
from hafan.risk.selectors import hub_tasks_overdue_count
from hafan.sharing import policy
from hafan.sharing.access import actor_for
from hafan.sharing.models import BreakGlassGrant


def hafan(request: HttpRequest) -> dict[str, Any]:
    """What every page's layout needs: the partnership's name and what the navigation may offer."""
    actor = actor_for(getattr(request, "user", None))
    return {
        "partnership_name": settings.HAFAN_PARTNERSHIP_NAME,
        "nav": {
            "episodes": policy.is_casework(actor),
            "report": policy.can_report_episode(actor),
            "debriefs": policy.is_debrief_worker(actor),
            "dashboard": policy.can_view_dashboard(actor),
            # --- Referrals (issue 7, item 4): sent, received, the directory of services.
            "referrals": policy.can_view_service_directory(actor),
            # --- Patterns across children (issue 7, item 6): places, co-missing groups, persons of concern.
            "patterns": policy.can_view_patterns(actor),
            # --- Young people's feedback (issue 7, item 5): in the navigation for the charity and analysts; hub
            # casework staff reach it from the dashboard.
            "feedback": policy.can_view_feedback_results(actor) and not policy.sees_every_child(actor),
            "audit": policy.can_view_audit_trail(actor),
            "identities": policy.can_manage_identities(actor),
            "imports": may_open_imports(request.user),
            # Information governance (issue 5, part F): agreements, emergency access, the disclosure log.
            "agreements": policy.can_view_agreements(actor),
            "emergency_access": policy.can_break_glass(actor),
            "break_glass_reviews": policy.can_review_break_glass(actor),
            "break_glass_unreviewed": (
                BreakGlassGrant.objects.filter(reviewed_at__isnull=True).count()
                if policy.can_review_break_glass(actor)
                else 0
            ),
            "disclosures": policy.can_view_disclosures(actor),
            # --- Rights and retention (issue 5, item 9): subject-access requests, notices, legal holds.
            "rights": policy.can_handle_subject_access(actor) or policy.can_manage_legal_holds(actor),
            # --- Hub tasks (issue 6, item 7): strategy meetings and exploitation reviews, with the overdue count.
            "hub_tasks": policy.can_view_hub_tasks(actor),
            "hub_tasks_overdue": hub_tasks_overdue_count(getattr(request, "user", None)),
            # --- Notifications (issue 6, item 6): the bell's unread count (one COUNT) and how often it refreshes.
            "notifications_unread": unread_count(getattr(request, "user", None)),
            "notifications_poll": settings.HAFAN_LIVE_POLL_SECONDS,
        },
    }
