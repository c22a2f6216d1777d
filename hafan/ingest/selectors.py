"""Reads of import history, through the access policy. Looking at a run is audited."""

from __future__ import annotations

import uuid
from typing import Any

from django.core.exceptions import ValidationError
from django.db.models import QuerySet

from hafan.agencies.models import Agency
from hafan.core.errors import NotFoundOrNoAccess
from hafan.core.vocabulary import Purpose
from hafan.ingest.models import ImportRun
from hafan.sharing import policy
from hafan.sharing.access import actor_for
from hafan.sharing.audit import audit_record
from hafan.sharing.models import AuditAction


def import_runs_visible_to(user: Any) -> QuerySet[ImportRun]:
    """The runs of every agency whose import history the user may see (none for most staff)."""
    actor = actor_for(user)
    codes = [
        code
        for code in Agency.objects.values_list("code", flat=True)
        if policy.can_view_import_history(actor, agency_code=code)
    ]
    return ImportRun.objects.filter(agency__code__in=codes).select_related("agency", "imported_by")


def may_open_imports(user: Any) -> bool:
    """The Imports pages: an agency's administrators (who import) and the IG auditor (who sees all)."""
    actor = actor_for(user)
    return policy.can_view_import_history(actor, agency_code=actor.agency_code or "")


def import_run_get_for_user(*, user: Any, public_id: uuid.UUID | str) -> ImportRun:
    try:
        run = import_runs_visible_to(user).get(public_id=public_id)
    except (ImportRun.DoesNotExist, ValueError, ValidationError) as exc:
        raise NotFoundOrNoAccess from exc
    audit_record(
        actor=user,
        action=AuditAction.VIEW,
        purpose=Purpose.ADMINISTRATION,
        target_type="import_run",
        target_id=run.public_id,
    )
    return run


def can_see_rejected_values(*, user: Any, run: ImportRun) -> bool:
    """The values in an error report may be personal data: only the importing agency sees them."""
    return policy.can_import_agency_data(actor_for(user), agency_code=run.agency.code)


def importable_agencies_for(user: Any) -> list[Agency]:
    actor = actor_for(user)
    return [
        a for a in Agency.objects.order_by("code") if policy.can_import_agency_data(actor, agency_code=a.code)
    ]
