"""The import API: agency systems push the same files the command line takes (docs/api.md, docs/ingest/).

Mounted at /api/v1/imports by hafan.core.api. The token's user must be an administrator of the agency
whose data it is; anyone else gets 403 for a push and 404 for a run they may not see.
"""

from __future__ import annotations

import datetime
import uuid
from typing import Any

from django.conf import settings
from django.http import HttpRequest
from ninja import File, Form, Router, Schema, Status
from ninja.files import UploadedFile
from pydantic import Field

from hafan.agencies.models import Agency
from hafan.core.api_schemas import ErrorOut
from hafan.core.errors import NotFoundOrNoAccess, NotPermitted
from hafan.ingest.adapters import ADAPTERS
from hafan.ingest.models import ImportChannel, ImportRun, ImportStatus
from hafan.ingest.reading import Source
from hafan.ingest.selectors import can_see_rejected_values, import_run_get_for_user
from hafan.ingest.services import ImportRequest, import_link_later, import_run
from hafan.sharing import policy
from hafan.sharing.access import actor_for

router = Router(tags=["imports"])
ERRORS_RETURNED = 1000


class RowErrorOut(Schema):
    location: str = Field(description="File and line, or the element's path.")
    field: str
    reason: str
    value: str = Field(description="The rejected value (empty unless the caller's agency sent the file).")


class ImportRunOut(Schema):
    public_id: uuid.UUID
    format: str
    agency: str
    file_name: str
    status: str = Field(description="succeeded, dry_run, rejected, failed, validating or writing.")
    rejection_reason: str
    started_at: datetime.datetime
    finished_at: datetime.datetime | None
    records_new: int
    records_changed: int
    records_unchanged: int
    records_rejected: int
    records_withdrawn: int
    episodes_new: int
    facts_new: int
    errors: list[RowErrorOut] = Field(description=f"The first {ERRORS_RETURNED} problems found.")


def _run_out(run: ImportRun, *, show_values: bool) -> dict[str, Any]:
    return {
        "public_id": run.public_id,
        "format": run.format,
        "agency": run.agency.code,
        "file_name": run.file_name,
        "status": run.status,
        "rejection_reason": run.rejection_reason,
        "started_at": run.started_at,
        "finished_at": run.finished_at,
        "records_new": run.records_new,
        "records_changed": run.records_changed,
        "records_unchanged": run.records_unchanged,
        "records_rejected": run.records_rejected,
        "records_withdrawn": run.records_withdrawn,
        "episodes_new": run.episodes_new,
        "facts_new": run.facts_new,
        "errors": [
            {
                "location": e.location,
                "field": e.field,
                "reason": e.reason,
                "value": e.value if show_values else "",
            }
            for e in run.row_errors.all()[:ERRORS_RETURNED]
        ],
    }


@router.post(
    "/{format_name}",
    response={
        201: ImportRunOut,
        200: ImportRunOut,
        401: ErrorOut,
        403: ErrorOut,
        404: ErrorOut,
        413: ErrorOut,
        422: ImportRunOut,
    },
    url_name="import_push",
    summary="Push an agency file",
    description=(
        "Multipart upload of one file (`files`; several for ssda903) and, for the generic and caselist "
        "formats, a TOML `mapping`. Every row is checked first; the valid ones are written and the rest "
        "reported in `errors`. 201 when records were imported, 200 for a dry run, 422 when the whole file "
        "was rejected (nothing imported). Pushing the same file again changes nothing."
    ),
)
def push(
    request: HttpRequest,
    format_name: str,
    files: File[list[UploadedFile]],
    mapping: File[UploadedFile | None] = None,
    agency: Form[str] = "",
    dry_run: Form[bool] = False,
    full_refresh: Form[bool] = False,
) -> Status[dict[str, Any]]:
    if format_name not in ADAPTERS:
        raise NotFoundOrNoAccess
    user: Any = request.user
    code = (agency or (user.agency.code if user.agency else "")).upper()
    target = Agency.objects.filter(code=code).first()
    if target is None:
        raise NotFoundOrNoAccess
    # Refuse a caller who may not push before looking at the upload: the answer reveals nothing else.
    if not policy.can_import_agency_data(actor_for(user), agency_code=target.code):
        raise NotPermitted("Only the agency's own administrators import its data.")
    limit = settings.HAFAN_IMPORT_API_MAX_BYTES
    if sum(f.size or 0 for f in files) > limit:
        return Status(
            413, {"detail": f"The upload is larger than {limit:,} bytes; split it or use the command line."}
        )
    mapping_text = None
    if mapping is not None:
        raw = mapping.read(1024 * 1024)
        try:
            mapping_text = raw.decode("utf-8")
        except UnicodeDecodeError:
            mapping_text = "\x00"  # not TOML: the service rejects it with its reason
    run = import_run(
        ImportRequest(
            format=format_name,
            sources=[Source.from_bytes(f.name or "upload", f.read()) for f in files],
            agency=target,
            actor=user,
            channel=ImportChannel.API,
            mapping_text=mapping_text,
            dry_run=dry_run,
            full_refresh=full_refresh,
        )
    )
    if run.status == ImportStatus.SUCCEEDED and (run.records_new or run.records_changed):
        # New records, and changed ones (their matches were cleared), go to identity resolution.
        import_link_later()
    body = _run_out(run, show_values=True)
    if run.status == ImportStatus.REJECTED:
        return Status(422, body)
    return Status(200 if run.dry_run else 201, body)


@router.get(
    "/runs/{public_id}",
    response={200: ImportRunOut, 401: ErrorOut, 404: ErrorOut},
    url_name="import_run",
    summary="An import's status, counts and error report",
)
def run_status(request: HttpRequest, public_id: str) -> dict[str, Any]:
    run = import_run_get_for_user(user=request.user, public_id=public_id)
    return _run_out(run, show_values=can_see_rejected_values(user=request.user, run=run))
