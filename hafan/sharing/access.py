"""Turns a signed-in user into the policy's Actor. Everything else asks hafan.sharing.policy."""

from __future__ import annotations

from typing import Any

from hafan.core.vocabulary import AgencyKind, Role
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
    )
