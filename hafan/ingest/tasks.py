"""Background work after an import: new records go to incremental identity resolution."""

from __future__ import annotations

from typing import Any

from django.tasks import task


@task()
def link_new_records() -> dict[str, Any]:
    """Matches every record not yet matched by the active model (`hafan db_worker` runs queued tasks)."""
    from hafan.ingest.services import import_link_new_records

    summary = import_link_new_records()
    return {"matched": summary.records_matched if summary else 0}
