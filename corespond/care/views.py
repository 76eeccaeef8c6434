"""Pages for case managers: the follow-up queue, referrals, and the resource directory."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_POST

from corespond.care import directory, selectors, services
from corespond.care.forms import AttemptForm, DirectorySearchForm, ReferralStatusForm
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
        request,
        "care/followups.html",
        {
            "page": page,
            "state": state,
            "now": timezone.now(),
            "overdue_referrals": selectors.overdue_referral_count(user=request.user),
        },
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
    show = request.GET.get("show", "open")
    if show not in ("open", "overdue", "all"):
        show = "open"
    page = Paginator(selectors.referral_list(user=request.user, show=show), 25).get_page(
        request.GET.get("page")
    )
    return render(
        request,
        "care/referrals.html",
        {
            "page": page,
            "form": ReferralStatusForm(),
            "show": show,
            "extra": f"show={show}",
            "overdue": selectors.overdue_referral_count(user=request.user),
        },
    )


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
    """Search the directory: by need, distance, open now and eligibility; stale capacity is
    marked as stale."""
    form = DirectorySearchForm(
        request.GET or None, categories=selectors.resource_categories(user=request.user)
    )
    hits: list[selectors.ResourceHit] = []
    status = 200
    if form.is_bound and not form.is_valid():
        status = 400
    else:
        data = form.cleaned_data if form.is_bound else {}
        hits = selectors.resource_search(
            user=request.user,
            query=(data.get("q") or "").strip(),
            category=data.get("category") or "",
            near=data.get("near"),
            open_now=bool(data.get("open_now")),
            age=data.get("age"),
            language=(data.get("language") or "").strip(),
        )
    params = request.GET.copy()
    params.pop("page", None)
    page = Paginator(hits, 25).get_page(request.GET.get("page"))
    return render(
        request,
        "care/resources.html",
        {
            "page": page,
            "form": form,
            "extra": params.urlencode(),
            "searching": form.is_bound,
            "near": form.cleaned_data.get("near") if form.is_bound and form.is_valid() else None,
            "programs": programs_for(request.user),
        },
        status=status,
    )


@login_required
def resources_export(request: HttpRequest, program_slug: str, fmt: str) -> HttpResponse:
    """The program's directory as Open Referral HSDS: JSON, or CSV tables in a zip."""
    program = programs_for(request.user).filter(slug=program_slug).first()
    if program is None or fmt not in ("json", "zip"):
        raise Http404("No such program, or you are not in it.")
    stamp = timezone.localdate()
    response: HttpResponse
    if fmt == "json":
        response = JsonResponse(directory.export_json(program), safe=False)
        name = f"{program.slug}-directory-{stamp}.json"
    else:
        response = HttpResponse(directory.export_csv_zip(program), content_type="application/zip")
        name = f"{program.slug}-directory-{stamp}-hsds-csv.zip"
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response


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
