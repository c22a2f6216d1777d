"""hafan subject_access CHILD_PUBLIC_ID --reference R --out FILE.zip --user USERNAME

Records a subject-access request (or reuses the one with this reference) and writes the child's export
for the information-governance officer's redaction review. The user must be that officer; the export is
audited like a download from the rights page."""

from __future__ import annotations

import datetime
import os
from typing import Any

from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from hafan.core.errors import HafanError, NotFoundOrNoAccess
from hafan.rights.models import SubjectAccessRequest
from hafan.rights.selectors import child_get_for_rights
from hafan.rights.services import subject_access_export, subject_access_request_create


class Command(BaseCommand):
    help = "Export everything the hub holds about one child, for redaction review (a subject-access request)."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("child", help="The child's hub identifier (public id).")
        parser.add_argument("--reference", required=True, help="The request's reference.")
        parser.add_argument("--out", required=True, help="Where to write the ZIP.")
        parser.add_argument("--user", required=True, help="The information-governance officer's username.")
        parser.add_argument(
            "--received", help="When the request was received (YYYY-MM-DD); default today.", default=None
        )

    def handle(self, *args: Any, **options: Any) -> None:
        user = get_user_model().objects.filter(username=options["user"], is_active=True).first()
        if user is None:
            raise CommandError("No active user with that username.")
        try:
            child = child_get_for_rights(user=user, public_id=options["child"])
        except NotFoundOrNoAccess as exc:
            raise CommandError(
                "No child with that hub identifier, or the user is not the information-governance officer."
            ) from exc
        received = (
            datetime.date.fromisoformat(options["received"]) if options["received"] else timezone.localdate()
        )
        sar = SubjectAccessRequest.objects.filter(reference=options["reference"].strip()).first()
        try:
            if sar is None:
                sar = subject_access_request_create(
                    child=child, reference=options["reference"], received_on=received, user=user
                )
            elif sar.child_id != child.pk:
                raise CommandError("That reference belongs to a request about another child.")
            content = subject_access_export(request=sar, user=user)
        except ValidationError as exc:
            raise CommandError("; ".join(f"{k}: {' '.join(v)}" for k, v in exc.message_dict.items())) from exc
        except HafanError as exc:
            raise CommandError(str(exc)) from exc
        # Owner-only: the file holds a child's whole record.
        fd = os.open(options["out"], os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "wb") as out:
            out.write(content)
        self.stdout.write(
            f"Request {sar.reference} ({sar.public_id}): export written, due {sar.deadline.isoformat()}."
        )
