"""The supervisors' review queue of emergency (break-the-glass) access."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from corespond.core.roles import require_role
from corespond.sharing import selectors, services
from corespond.sharing.models import BreakGlassGrant


@login_required
def review_queue(request: HttpRequest) -> HttpResponse:
    require_role(request.user, services.REVIEW_ROLES)
    grants = selectors.grants_to_review(user=request.user)
    page = Paginator(grants, 50).get_page(request.GET.get("page"))
    return render(request, "sharing/review_queue.html", {"page": page})


@login_required
@require_POST
def review(request: HttpRequest, grant_id: int) -> HttpResponse:
    if not selectors.grants_to_review(user=request.user).filter(pk=grant_id).exists():
        raise Http404("No such use of break-the-glass in your programs.")
    try:
        services.break_glass_review(
            actor=request.user, grant_id=grant_id, note=request.POST.get("note", "")
        )
    except (PermissionDenied, BreakGlassGrant.DoesNotExist) as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, "Marked as reviewed.")
    return redirect("sharing:review_queue")
