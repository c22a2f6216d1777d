"""Sign-in pages: password, then a two-factor code (or first, setting up the authenticator app).

docs/accounts.md describes the flow. StaffSessionMiddleware keeps a half-authenticated session on these
pages; the audit rows are written by the sign-in receivers (signals.py) and hafan.accounts.signin.
"""

from __future__ import annotations

import base64
from typing import Any
from urllib.parse import urlencode

import django_otp
import qrcode
import qrcode.image.svg
from django.conf import settings
from django.contrib.auth import authenticate
from django.contrib.auth import login as auth_login
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_not_required
from django.core.exceptions import ValidationError
from django.forms import Form
from django.http import HttpRequest, HttpResponse, HttpResponseBase, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods, require_POST
from django_otp.models import Device
from django_otp.plugins.otp_totp.models import TOTPDevice

from hafan.accounts.forms import CodeForm, PasswordConfirmForm, SetupCodeForm, SignInForm
from hafan.accounts.lockout import locked_out_response
from hafan.accounts.services import (
    recovery_codes_replace,
    recovery_device,
    totp_device_begin,
    totp_device_confirm,
    totp_device_confirmed,
    two_factor_reset,
)
from hafan.accounts.signin import (
    SIGNED_OUT,
    TWO_FACTOR_FAILURES,
    SignOutReason,
    lockout_in_force,
    sign_out,
    two_factor_complete,
    two_factor_failed,
)
from hafan.core.forms import apply_service_errors

NEW_RECOVERY_CODES = "hafan_new_recovery_codes"  # shown once on the next page, then removed

SIGNED_OUT_MESSAGES = {
    SignOutReason.USER: gettext_lazy("You have signed out."),
    SignOutReason.IDLE: gettext_lazy(
        "You were signed out because you had not used Hafan for a while. Sign in again to carry on."
    ),
    SignOutReason.ABSOLUTE: gettext_lazy(
        "You were signed out because you had been signed in for the longest time allowed. Sign in again to carry on."
    ),
    SignOutReason.TWO_FACTOR_FAILURES: gettext_lazy(
        "You were signed out because of too many wrong codes. Sign in again to try once more."
    ),
}


def _next(request: HttpRequest) -> str:
    """Where to go after signing in: the `next` parameter if it is a page on this site, else home."""
    candidate = request.POST.get("next") or request.GET.get("next") or ""
    if candidate and url_has_allowed_host_and_scheme(
        candidate, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return candidate
    return reverse("core:home")


def _url(name: str, next_url: str) -> str:
    if next_url and next_url != reverse("core:home"):
        return f"{reverse(name)}?{urlencode({'next': next_url})}"
    return reverse(name)


class SignInView(auth_views.LoginView):
    template_name = "accounts/login.html"
    authentication_form = SignInForm

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        if self.request.method == "GET":
            reason = self.request.session.pop(SIGNED_OUT, None)
            context["signed_out_message"] = SIGNED_OUT_MESSAGES.get(reason) if reason else None
        return context

    def form_valid(self, form: Form) -> HttpResponse:
        # Someone already in this browser's session (perhaps half-authenticated) gives way completely, so
        # that login() gives the session a new key.
        if self.request.user.is_authenticated:
            self.request.session.flush()
        auth_login(self.request, form.get_user())  # type: ignore[attr-defined]
        return HttpResponseRedirect(_url("accounts:two_factor", self.get_redirect_url()))


@login_not_required
@require_POST
def sign_out_view(request: HttpRequest) -> HttpResponse:
    if request.user.is_authenticated:
        sign_out(request, reason=SignOutReason.USER)
    return HttpResponseRedirect(reverse("accounts:login"))


def _verify(user: Any, code: str, totp: TOTPDevice) -> tuple[Device | None, str]:
    """A six-digit code is tried against the authenticator app, anything else against the recovery codes."""
    if len(code) == totp.digits and code.isdigit():
        return django_otp.verify_token(user, totp.persistent_id, code), "totp"
    recovery = recovery_device(user=user)
    if recovery is None:
        return None, "recovery_code"
    return django_otp.verify_token(user, recovery.persistent_id, code), "recovery_code"


@never_cache
@require_http_methods(["GET", "POST"])
def two_factor(request: HttpRequest) -> HttpResponseBase:
    user: Any = request.user
    next_url = _next(request)
    if user.is_verified():
        return HttpResponseRedirect(next_url)
    totp = totp_device_confirmed(user=user)
    if totp is None:
        return HttpResponseRedirect(_url("accounts:two_factor_setup", next_url))
    limit = settings.HAFAN_TWO_FACTOR_FAILURE_LIMIT
    form = CodeForm(request.POST or None)
    if request.method == "POST":
        if lockout_in_force(request):
            sign_out(request, reason=SignOutReason.TWO_FACTOR_FAILURES)
            return locked_out_response(request)
        if form.is_valid():
            device, method = _verify(user, form.cleaned_data["code"], totp)
            if device is not None:
                two_factor_complete(request, device=device, method=method)
                return HttpResponseRedirect(next_url)
            failures = two_factor_failed(request)
            if failures >= limit or getattr(request, "axes_locked_out", False):
                # With the lockout reached, AxesMiddleware answers with the locked-out page instead.
                sign_out(request, reason=SignOutReason.TWO_FACTOR_FAILURES)
                return HttpResponseRedirect(reverse("accounts:login"))
            form.add_error("code", _("The code is not right. Check it and try again."))
    return render(
        request,
        "accounts/two_factor.html",
        {
            "form": form,
            "next": next_url,
            "attempts_left": limit - request.session.get(TWO_FACTOR_FAILURES, 0),
        },
    )


def _qr_data_uri(text: str) -> str:
    image = qrcode.make(text, image_factory=qrcode.image.svg.SvgPathImage, border=2)
    return "data:image/svg+xml;base64," + base64.b64encode(image.to_string()).decode()


@never_cache
@require_http_methods(["GET", "POST"])
def two_factor_setup(request: HttpRequest) -> HttpResponseBase:
    user: Any = request.user
    next_url = _next(request)
    if totp_device_confirmed(user=user) is not None:
        # Changing a device is done from the manage page, after the password again.
        return HttpResponseRedirect(
            reverse("accounts:two_factor_manage")
            if user.is_verified()
            else _url("accounts:two_factor", next_url)
        )
    device = totp_device_begin(user=user)
    form = SetupCodeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            codes = totp_device_confirm(user=user, device=device, code=form.cleaned_data["code"])
        except ValidationError as error:
            apply_service_errors(form, error.message_dict)
        else:
            two_factor_complete(request, device=device, method="totp_setup")
            request.session[NEW_RECOVERY_CODES] = codes
            return HttpResponseRedirect(_url("accounts:recovery_codes", next_url))
    secret = base64.b32encode(device.bin_key).decode()
    return render(
        request,
        "accounts/two_factor_setup.html",
        {
            "form": form,
            "next": next_url,
            "qr_code": _qr_data_uri(device.config_url),
            "secret_groups": [secret[i : i + 4] for i in range(0, len(secret), 4)],
        },
    )


@never_cache
@require_http_methods(["GET"])
def recovery_codes(request: HttpRequest) -> HttpResponse:
    codes = request.session.pop(NEW_RECOVERY_CODES, None)
    return render(request, "accounts/recovery_codes.html", {"codes": codes, "next": _next(request)})


@never_cache
@require_http_methods(["GET", "POST"])
def two_factor_manage(request: HttpRequest) -> HttpResponseBase:
    user: Any = request.user
    action = request.POST.get("action") if request.method == "POST" else None
    codes_form = PasswordConfirmForm(request.POST if action == "codes" else None, prefix="codes")
    reset_form = PasswordConfirmForm(request.POST if action == "reset" else None, prefix="reset")
    form = {"codes": codes_form, "reset": reset_form}.get(action or "")
    if form is not None and form.is_valid():
        # Through authenticate(), so a wrong password here counts towards the lockout like any other.
        confirmed = authenticate(request, username=user.username, password=form.cleaned_data["password"])
        if confirmed is None or confirmed.pk != user.pk:
            form.add_error("password", _("Your password is not right."))
        elif action == "codes":
            request.session[NEW_RECOVERY_CODES] = recovery_codes_replace(user=user, replaced_by=user)
            return HttpResponseRedirect(reverse("accounts:recovery_codes"))
        else:
            two_factor_reset(user=user, reset_by=user, keep_session_key=request.session.session_key)
            return HttpResponseRedirect(reverse("accounts:two_factor_setup"))
    recovery = recovery_device(user=user)
    return render(
        request,
        "accounts/two_factor_manage.html",
        {
            "device": totp_device_confirmed(user=user),
            "recovery_left": recovery.token_set.count() if recovery else 0,
            "codes_form": codes_form,
            "reset_form": reset_form,
        },
    )
