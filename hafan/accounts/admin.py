"""The Django admin: staff accounts and agency API tokens only.

Children, episodes, facts, debriefs and audit events are deliberately not registered anywhere in the
admin: every read of a child's record must go through the audited, permission-checked getters.
"""

from __future__ import annotations

from typing import Any

from django.contrib import admin, messages
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.core.exceptions import ValidationError
from django.db.models import Model, QuerySet
from django.forms import ModelForm
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext
from django_otp.plugins.otp_static.models import StaticDevice
from django_otp.plugins.otp_totp.models import TOTPDevice

from hafan.accounts.models import ApiToken, DisableReason, User
from hafan.accounts.services import api_token_revoke, staff_disable, staff_lockout_clear, two_factor_reset
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
    actions = ["disable", "reset_two_factor", "clear_lockout"]

    def audit_target_id(self, obj: Any) -> str:
        return obj.username

    def save_model(self, request: HttpRequest, obj: Any, form: ModelForm, change: bool) -> None:
        super().save_model(request, obj, form, change)
        # Unticking "active" ends the person's sessions and revokes their tokens at once, as the action does.
        if change and "is_active" in form.changed_data and not obj.is_active and obj.pk != request.user.pk:
            staff_disable(user=obj, disabled_by=request.user, reason=DisableReason.ADMINISTRATOR)

    @admin.action(description=_("Disable the selected staff and end their sessions"))
    def disable(self, request: HttpRequest, queryset: QuerySet[User]) -> None:
        done = 0
        for user in queryset.filter(is_active=True):
            try:
                staff_disable(user=user, disabled_by=request.user, reason=DisableReason.ADMINISTRATOR)
            except ValidationError as error:
                self.message_user(request, "; ".join(error.messages), messages.ERROR)
            else:
                done += 1
        self.message_user(
            request,
            ngettext("%(n)d account disabled.", "%(n)d accounts disabled.", done) % {"n": done},
            messages.SUCCESS,
        )

    @admin.action(description=_("Reset two-factor authentication (signs them out; they set it up again)"))
    def reset_two_factor(self, request: HttpRequest, queryset: QuerySet[User]) -> None:
        users = list(queryset)
        for user in users:
            two_factor_reset(user=user, reset_by=request.user)
        self.message_user(
            request,
            ngettext(
                "Two-factor authentication reset for %(n)d account.",
                "Two-factor authentication reset for %(n)d accounts.",
                len(users),
            )
            % {"n": len(users)},
            messages.SUCCESS,
        )

    @admin.action(description=_("Clear failed sign-ins (lifts a lockout)"))
    def clear_lockout(self, request: HttpRequest, queryset: QuerySet[User]) -> None:
        users = list(queryset)
        for user in users:
            staff_lockout_clear(user=user, cleared_by=request.user)
        self.message_user(
            request,
            ngettext(
                "Failed sign-ins cleared for %(n)d account.",
                "Failed sign-ins cleared for %(n)d accounts.",
                len(users),
            )
            % {"n": len(users)},
            messages.SUCCESS,
        )


# django-otp registers its devices in the admin, where the TOTP secrets and recovery codes could be read or
# a device made for someone else. Devices are only set up by their owner (accounts/two-factor/setup/) and
# reset with the action above.
for _device_model in (TOTPDevice, StaticDevice):
    if admin.site.is_registered(_device_model):
        admin.site.unregister(_device_model)


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
