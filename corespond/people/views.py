"""A person's record, shown by what the sharing policy allows; break-the-glass when it does
not allow enough in an emergency."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_POST

from corespond.core.access import programs_for
from corespond.core.roles import has_role
from corespond.people import selectors
from corespond.people import services as people_services
from corespond.people.forms import FlagForm
from corespond.people.models import Person, SafetyFlag, SafetyPlan
from corespond.sharing import selectors as sharing_selectors
from corespond.sharing import services as sharing
from corespond.sharing.forms import ConsentForm
from corespond.sharing.models import Consent


class BreakGlassForm(forms.Form):
    reason = forms.CharField(
        max_length=300,
        label="Why you need this record now",
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text="Your supervisor reviews every emergency access. Access lasts 60 minutes.",
    )


@login_required
def person_detail(request: HttpRequest, person_id: int) -> HttpResponse:
    try:
        view = selectors.person_view(user=request.user, person_id=person_id)
    except Person.DoesNotExist:
        stub = selectors.person_stub(person_id=person_id)
        works_there = (
            stub is not None and programs_for(request.user).filter(pk=stub.program_id).exists()
        )
        if not works_there:
            raise Http404("No such person, or you may not see them.") from None
        # The person is in one of the user's programs but the policy shows nothing: offer
        # emergency access, and show nothing else of the record.
        return render(
            request,
            "people/restricted.html",
            {"person_id": person_id, "form": BreakGlassForm()},
            status=403,
        )
    return render(
        request,
        "people/person.html",
        {
            "view": view,
            "form": BreakGlassForm(),
            "may_manage_consents": sharing.may_manage_consents(
                request.user, program_id=view.person.program_id
            ),
        },
    )


@login_required
@require_POST
def break_glass(request: HttpRequest, person_id: int) -> HttpResponse:
    form = BreakGlassForm(request.POST)
    if form.is_valid():
        try:
            grant = sharing.break_glass(
                actor=request.user, person_id=person_id, reason=form.cleaned_data["reason"]
            )
        except (ValidationError, PermissionDenied) as exc:
            messages.error(request, " ".join(getattr(exc, "messages", [str(exc)])))
        except Person.DoesNotExist as exc:
            raise Http404 from exc
        else:
            messages.warning(
                request,
                f"Emergency access until {grant.expires_at:%H:%M} UTC. It is logged and "
                "will be reviewed.",
            )
    else:
        messages.error(request, "Say why you need these records now.")
    return redirect("people:person", person_id=person_id)


@login_required
@require_POST
def flag_add(request: HttpRequest, person_id: int) -> HttpResponse:
    form = FlagForm(request.POST)
    if not form.is_valid():
        messages.error(
            request, "Flag not saved: choose a kind; keep the note under 300 characters."
        )
    else:
        try:
            people_services.safety_flag_add(
                actor=request.user, person_id=person_id, **form.cleaned_data
            )
        except Person.DoesNotExist as exc:
            raise Http404 from exc
        except ValidationError as exc:
            messages.error(request, "Flag not saved: " + " ".join(exc.messages))
        else:
            messages.success(request, "Safety flag recorded.")
    return redirect(_back(request, person_id))


@login_required
@require_POST
def flag_retire(request: HttpRequest, person_id: int, flag_id: int) -> HttpResponse:
    try:
        people_services.safety_flag_retire(actor=request.user, flag_id=flag_id)
    except SafetyFlag.DoesNotExist as exc:
        raise Http404 from exc
    messages.success(request, "Flag retired; it stays on record.")
    return redirect(_back(request, person_id))


def _back(request: HttpRequest, person_id: int) -> str:
    """Back to the page the form was on (an encounter's briefing), if it is ours."""
    nxt = request.POST.get("next", "")
    if url_has_allowed_host_and_scheme(nxt, allowed_hosts={request.get_host()}) and nxt.startswith(
        "/"
    ):
        return nxt
    return reverse("people:person", args=[person_id])


class SafetyPlanForm(forms.Form):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for name, label in SafetyPlan.SECTIONS:
            self.fields[name] = forms.CharField(
                label=label,
                required=False,
                max_length=4000,
                widget=forms.Textarea(attrs={"rows": 3}),
            )


@login_required
def safety_plan(request: HttpRequest, person_id: int) -> HttpResponse:
    """The plan's versions (printable), and a new version for those who work on plans."""
    try:
        view = selectors.person_view(user=request.user, person_id=person_id)
    except Person.DoesNotExist as exc:
        raise Http404("No such person, or you may not see them.") from exc
    access = view.plan_access
    if access is None or not access.allowed:
        why = access.basis if access else "no decision"
        raise PermissionDenied(f"Safety plans are not shared with you: {why}.")
    plans = selectors.safety_plans(user=request.user, person_id=person_id)
    latest = plans[0] if plans else None
    initial = {name: getattr(latest, name) for name, _ in SafetyPlan.SECTIONS} if latest else {}
    form = SafetyPlanForm(request.POST or None, initial=initial)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            try:
                plan = people_services.safety_plan_save(
                    actor=request.user, person_id=person_id, **form.cleaned_data
                )
            except (ValidationError, PermissionDenied) as exc:
                form.add_error(None, " ".join(getattr(exc, "messages", [str(exc)])))
            else:
                messages.success(request, f"Safety plan version {plan.version} saved.")
                return redirect("people:safety_plan", person_id=person_id)
        status = 400
    return render(
        request,
        "people/safety_plan.html",
        {
            "view": view,
            "plans": plans,
            "form": form,
            "may_edit": has_role(request.user, people_services.PLAN_ROLES),
        },
        status=status,
    )


@login_required
def consents(request: HttpRequest, person_id: int) -> HttpResponse:
    """The person's consents to share Part 2 records: list, record, revoke."""
    try:
        person = sharing.person_for_consent(request.user, person_id)
        found = sharing_selectors.consents_of(user=request.user, person_id=person_id)
    except Person.DoesNotExist as exc:
        raise Http404("No such person, or you may not see them.") from exc
    form = ConsentForm(request.POST or None, agencies=person.program.agencies.all())
    status = 200
    if request.method == "POST":
        if form.is_valid():
            try:
                sharing.consent_record(
                    actor=request.user,
                    person_id=person_id,
                    recipient_id=form.cleaned_data["recipient"].pk,
                    purpose=form.cleaned_data["purpose"],
                    expires_at=form.cleaned_data.get("expires_at"),
                )
            except ValidationError as exc:
                for message in exc.messages:
                    form.add_error(None, message)
            else:
                messages.success(request, "Consent recorded. Disclosures to that agency start now.")
                return redirect("people:consents", person_id=person_id)
        status = 400
    return render(
        request,
        "people/consents.html",
        {"person": person, "consents": found, "form": form, "now": timezone.now()},
        status=status,
    )


@login_required
@require_POST
def consent_revoke(request: HttpRequest, person_id: int, consent_id: int) -> HttpResponse:
    try:
        sharing.consent_revoke(actor=request.user, consent_id=consent_id)
    except (Consent.DoesNotExist, Person.DoesNotExist) as exc:
        raise Http404 from exc
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(request, "Consent revoked. Nothing more is disclosed under it.")
    return redirect("people:consents", person_id=person_id)
