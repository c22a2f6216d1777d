"""Who a notice goes to, for the events that concern a council or a child's case holder."""

from __future__ import annotations

from typing import Any

from django.contrib.auth import get_user_model
from django.db.models import Q

from hafan.core.vocabulary import Role
from hafan.people.models import AllocationKind


def council_hub_social_workers(council_ids: list[int]) -> list[Any]:
    """Active hub social workers of these councils."""
    if not council_ids:
        return []
    return list(
        get_user_model()
        .objects.filter(is_active=True, hub_member=True, role=Role.SOCIAL_WORKER, agency_id__in=council_ids)
        .order_by("pk")
    )


def case_holders(child: Any) -> list[Any]:
    """The child's allocated case-holding social workers (active allocations only)."""
    return list(
        get_user_model()
        .objects.filter(
            Q(allocations__child=child)
            & Q(allocations__kind=AllocationKind.CASE_HOLDER)
            & Q(allocations__ended_at__isnull=True),
            is_active=True,
        )
        .distinct()
        .order_by("pk")
    )
