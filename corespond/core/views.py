"""The start page: what each persona can do, and a health check for load balancers."""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db import connection
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.safestring import mark_safe
from django.views.decorators.http import require_POST

from corespond.core import mfa
from corespond.core.access import acting_user
from corespond.core.models import Membership


@login_required
def home(request: HttpRequest) -> HttpResponse:
    memberships = Membership.objects.filter(user=acting_user(request)).select_related("agency")
    return render(request, "core/home.html", {"memberships": memberships})


@require_POST
def activity(request: HttpRequest) -> HttpResponse:
    """The page reports keyboard or pointer use; IdleTimeoutMiddleware has noted it."""
    status = 204 if request.user.is_authenticated else 401
    return HttpResponse(status=status)


def healthz(request: HttpRequest) -> HttpResponse:
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
    return JsonResponse({"status": "ok"})


class TokenForm(forms.Form):
    token = forms.CharField(
        label="6-digit code",
        min_length=6,
        max_length=8,
        widget=forms.TextInput(
            attrs={"autocomplete": "one-time-code", "inputmode": "numeric", "autofocus": True}
        ),
    )


def _next_url(request: HttpRequest) -> str:
    target = request.POST.get("next") or request.GET.get("next") or ""
    if url_has_allowed_host_and_scheme(target, {request.get_host()}, request.is_secure()):
        return target
    return reverse("home")


@login_required
def mfa_setup(request: HttpRequest) -> HttpResponse:
    """Set up an authenticator app: scan the code (or type the key), then enter one code."""
    if mfa.confirmed_device(request.user) is not None:
        return redirect(f"{reverse('mfa_verify')}?next={_next_url(request)}")
    device = mfa.pending_device(request.user)
    form = TokenForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        if mfa.confirm(request, form.cleaned_data["token"]):
            messages.success(request, "Second factor set up. Keep the app on your phone.")
            return redirect(_next_url(request))
        form.add_error("token", mfa.ERR_CODE)
    context = {
        "form": form,
        "qr": mark_safe(mfa.qr_svg(device)),
        "secret": mfa.secret_text(device),
        "next": _next_url(request),
    }
    return render(
        request, "registration/mfa_setup.html", context, status=400 if form.errors else 200
    )


@login_required
def mfa_verify(request: HttpRequest) -> HttpResponse:
    """The second step of signing in: the code from the user's authenticator app."""
    if mfa.confirmed_device(request.user) is None:
        return redirect(f"{reverse('mfa_setup')}?next={_next_url(request)}")
    form = TokenForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        if mfa.verify(request, form.cleaned_data["token"]):
            return redirect(_next_url(request))
        form.add_error("token", mfa.ERR_CODE)
    return render(
        request,
        "registration/mfa_verify.html",
        {"form": form, "next": _next_url(request)},
        status=400 if form.errors else 200,
    )
