"""The Django admin: staff accounts and agency API tokens only.

Children, episodes, facts, debriefs and audit events are deliberately not registered anywhere in the
admin: every read of a child's record must go through the audited, permission-checked getters.
"""

from __future__ import annotations

from typing import Any

from django.contrib import admin, messages
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.db.models import Model, QuerySet
from django.forms import ModelForm
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from hafan.accounts.models import ApiToken, User
from hafan.accounts.services import api_token_revoke
from hafan.core.vocabulary import Purpose
from hafan.sharing.audit import audit_record
from hafan.sharing.models import AuditAction


class AuditedAdminMixin:
    """Changes made in the admin reach the hub's audit trail like any other write. Nothing is deleted
    (rows are protected by what refers to them): staff are deactivated instead."""

    audit_target_type = ""

    def audit_target_id(self, obj: Any) -> str:
        return str(obj.pk)

    def save_model(self, request: HttpRequest, obj: Model, form: ModelForm, change: bool) -> None:
        super().save_model(request, obj, form, change)  # type: ignore[misc]
        audit_record(
            actor=request.user,
            action=AuditAction.UPDATE if change else AuditAction.CREATE,
            purpose=Purpose.ADMINISTRATION,
            target_type=self.audit_target_type,
            target_id=self.audit_target_id(obj),
            detail={"changed": sorted(form.changed_data), "via": "admin"},
        )

    def has_delete_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        return False


@admin.register(User)
class UserAdmin(AuditedAdminMixin, DjangoUserAdmin):
    audit_target_type = "user"
    list_display = ["username", "first_name", "last_name", "agency", "role", "is_active"]
    list_filter = ["role", "agency", "is_active"]
    search_fields = ["username", "first_name", "last_name", "email"]
    fieldsets = (
        (None, {"fields": ("username", "password")}),
        (_("Personal details"), {"fields": ("first_name", "last_name", "email", "language")}),
        (_("Place in the hub"), {"fields": ("agency", "role")}),
        (_("Access"), {"fields": ("is_active", "is_staff", "is_superuser", "last_login", "date_joined")}),
    )
    add_fieldsets = (
        (None, {"classes": ("wide",), "fields": ("username", "password1", "password2")}),
        (_("Place in the hub"), {"fields": ("first_name", "last_name", "agency", "role", "language")}),
    )
    readonly_fields = ["last_login", "date_joined"]

    def audit_target_id(self, obj: Any) -> str:
        return obj.username


@admin.register(ApiToken)
class ApiTokenAdmin(admin.ModelAdmin):
    """Tokens are issued from the command line (the raw token is shown once); here they are only seen
    and revoked. The stored value is a hash and cannot be used to sign in."""

    list_display = ["name", "user", "created_at", "revoked_at"]
    list_filter = ["revoked_at"]
    readonly_fields = ["user", "name", "key_hash", "created_at", "revoked_at"]
    fields = ["user", "name", "key_hash", "created_at", "revoked_at"]
    actions = ["revoke"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        return False

    @admin.action(description=_("Revoke the selected tokens"))
    def revoke(self, request: HttpRequest, queryset: QuerySet[ApiToken]) -> None:
        tokens = list(queryset.filter(revoked_at__isnull=True))
        for token in tokens:
            api_token_revoke(token=token, revoked_by=request.user)
        self.message_user(
            request,
            ngettext("%(n)d token revoked.", "%(n)d tokens revoked.", len(tokens)) % {"n": len(tokens)},
            messages.SUCCESS,
        )
