"""The start page: what each persona can do, and a health check for load balancers."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.db import connection
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.views.decorators.http import require_POST

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
