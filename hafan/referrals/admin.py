"""The directory of services in the Django admin. Referrals themselves (a child's record) are not here."""

from __future__ import annotations

from typing import Any

from django.contrib import admin

from hafan.accounts.admin import AuditedAdminMixin
from hafan.referrals.models import Service


@admin.register(Service)
class ServiceAdmin(AuditedAdminMixin, admin.ModelAdmin):
    audit_target_type = "service"
    list_display = ["name_en", "kind", "provider_name", "needs_consent"]
    list_filter = ["kind", "needs_consent"]
    search_fields = ["name_en", "name_cy", "provider_name"]
    readonly_fields = ["public_id", "created_at", "updated_at"]

    def audit_target_id(self, obj: Any) -> str:
        return str(obj.public_id)
