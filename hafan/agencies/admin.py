"""The partner agencies in the Django admin. Whether an agency is in the partnership decides whether its
staff see anything at all, so every change is audited."""

from __future__ import annotations

from typing import Any

from django.contrib import admin

from hafan.accounts.admin import AuditedAdminMixin
from hafan.agencies.models import Agency


@admin.register(Agency)
class AgencyAdmin(AuditedAdminMixin, admin.ModelAdmin):
    audit_target_type = "agency"
    list_display = ["code", "name_en", "name_cy", "kind", "in_partnership"]
    list_filter = ["kind", "in_partnership"]
    search_fields = ["code", "name_en", "name_cy"]
    readonly_fields = ["public_id", "created_at", "updated_at"]

    def audit_target_id(self, obj: Any) -> str:
        return obj.code
