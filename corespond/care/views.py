"""Pages for case managers: the follow-up queue, referrals, and the resource directory."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_POST

from corespond.care import selectors, services
from corespond.care.forms import AttemptForm, ReferralStatusForm
from corespond.care.models import FollowUp, FollowUpAttempt, Referral
from corespond.core.access import programs_for, restrict
from corespond.core.roles import CARE_ROLES, require_role
from corespond.people.models import Person


@login_required
def followups(request: HttpRequest) -> HttpResponse:
    require_role(request.user, CARE_ROLES)
    state = "closed" if request.GET.get("state") == "closed" else "open"
    page = Paginator(selectors.followup_queue(user=request.user, state=state), 25).get_page(
        request.GET.get("page")
    )
    return render(
        request, "care/followups.html", {"page": page, "state": state, "now": timezone.now()}
    )


@login_required
def followup_detail(request: HttpRequest, followup_id: int) -> HttpResponse:
    require_role(request.user, CARE_ROLES)
    try:
        followup = selectors.followups_visible(user=request.user).get(pk=followup_id)
    except FollowUp.DoesNotExist as exc:
        raise Http404("No such follow-up, or you may not see it.") from exc
    form = AttemptForm(request.POST or None)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            try:
                services.followup_attempt_record(
                    actor=request.user, followup_id=followup.pk, **form.cleaned_data
                )
            except ValidationError as exc:
                for message in exc.messages:
                    form.add_error(None, message)
            else:
                messages.success(request, "Attempt recorded.")
                return redirect("care:followup", followup_id=followup.pk)
        status = 400
    attempts = restrict(FollowUpAttempt.objects.filter(followup=followup), request.user)
    return render(
        request,
        "care/followup_detail.html",
        {"followup": followup, "form": form, "attempts": attempts},
        status=status,
    )


@login_required
def referrals(request: HttpRequest) -> HttpResponse:
    require_role(request.user, CARE_ROLES)
    page = Paginator(selectors.referrals_visible(user=request.user), 25).get_page(
        request.GET.get("page")
    )
    return render(request, "care/referrals.html", {"page": page, "form": ReferralStatusForm()})


@login_required
@require_POST
def referral_status(request: HttpRequest, referral_id: int) -> HttpResponse:
    form = ReferralStatusForm(request.POST)
    if not form.is_valid():
        messages.error(request, "Choose a referral status.")
        return redirect("care:referrals")
    try:
        services.referral_status_set(
            actor=request.user, referral_id=referral_id, **form.cleaned_data
        )
    except Referral.DoesNotExist as exc:
        raise Http404 from exc
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(request, "Referral updated.")
    return redirect("care:referrals")


@login_required
def resources(request: HttpRequest) -> HttpResponse:
    query = request.GET.get("q", "").strip()[:100]
    page = Paginator(selectors.resources_for(user=request.user, query=query), 25).get_page(
        request.GET.get("page")
    )
    return render(request, "care/resources.html", {"page": page, "q": query})


@login_required
def outreach(request: HttpRequest) -> HttpResponse:
    """People with repeated crises in each of the user's programs, and their outreach."""
    require_role(request.user, CARE_ROLES)
    programs = programs_for(request.user, CARE_ROLES)
    lists = [
        (program, selectors.outreach_list(user=request.user, program=program))
        for program in programs
    ]
    return render(request, "care/outreach.html", {"lists": lists})


@login_required
@require_POST
def outreach_start(request: HttpRequest, person_id: int) -> HttpResponse:
    try:
        followup = services.outreach_start(actor=request.user, person_id=person_id)
    except Person.DoesNotExist as exc:
        raise Http404 from exc
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
        return redirect("care:outreach")
    messages.success(request, "Outreach opened. Record each visit, call or text as an attempt.")
    return redirect("care:followup", followup_id=followup.pk)
