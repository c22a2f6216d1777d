"""Administrators edit each agency's code mappings here. Import runs are listed read-only (their error
reports are on the import pages, under the access policy); no child's record is in the admin."""

from __future__ import annotations

from django import forms
from django.contrib import admin
from django.http import HttpRequest

from hafan.accounts.admin import AuditedAdminMixin
from hafan.ingest.models import CodeMapping, ImportRun
from hafan.ingest.vocabularies import TARGETS


class CodeMappingForm(forms.ModelForm):
    class Meta:
        model = CodeMapping
        fields = ["agency", "vocabulary", "source_code", "hafan_value", "notes"]
        help_texts = {
            "hafan_value": "; ".join(
                f"{vocab}: {', '.join(choices.values)}" for vocab, choices in TARGETS.items()
            ),
        }


@admin.register(CodeMapping)
class CodeMappingAdmin(AuditedAdminMixin, admin.ModelAdmin):
    audit_target_type = "code_mapping"
    form = CodeMappingForm
    list_display = ["vocabulary", "agency", "source_code", "hafan_value", "notes"]
    list_filter = ["vocabulary", "agency"]
    search_fields = ["source_code", "hafan_value", "notes"]


@admin.register(ImportRun)
class ImportRunAdmin(admin.ModelAdmin):
    list_display = [
        "started_at",
        "agency",
        "format",
        "file_name",
        "status",
        "records_new",
        "records_changed",
        "records_unchanged",
        "records_rejected",
    ]
    list_filter = ["status", "format", "agency"]
    exclude = ["error_report_path"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False
