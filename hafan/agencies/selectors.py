from __future__ import annotations

from django.db.models import QuerySet

from hafan.agencies.models import Agency
from hafan.core.vocabulary import AgencyKind


def partner_councils() -> QuerySet[Agency]:
    return Agency.objects.filter(kind=AgencyKind.COUNCIL, in_partnership=True).order_by("name_en")


def agencies_by_code() -> dict[str, Agency]:
    """Every agency by its code, in one query (for rendering many references to agencies at once)."""
    return {agency.code: agency for agency in Agency.objects.all()}
