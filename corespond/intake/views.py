"""Pages for the call-taker: enter a call, see its triage decision, browse calls."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.db.models import QuerySet
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from corespond.core.access import acting_user, programs_for
from corespond.core.models import Membership, Program
from corespond.core.roles import CARE_ROLES, DISPATCH_ROLES, ENCOUNTER_ROLES, require_role
from corespond.dispatch.recommend import options_for, recommended
from corespond.dispatch.selectors import teams_free_for
from corespond.field.selectors import encounters_for_call
from corespond.intake import selectors, services
from corespond.intake.forms import CallForm, CloseUnservedForm
from corespond.intake.models import Call
from corespond.intake.protocols_store import active_protocol


def _programs(request: HttpRequest, roles: frozenset[str]) -> QuerySet[Program]:
    """The programs in which the user holds one of ``roles`` (all of them for superusers)."""
    if request.user.is_superuser:
        return Program.objects.all()
    return programs_for(request.user, roles)


@login_required
def call_new(request: HttpRequest) -> HttpResponse:
    require_role(request.user, DISPATCH_ROLES)
    home = Membership.objects.filter(user=acting_user(request), role__in=DISPATCH_ROLES).first()
    form = CallForm(
        request.POST or None,
        programs=_programs(request, DISPATCH_ROLES),
        home_agency=home.agency if home else None,
    )
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            call = services.call_create(actor=request.user, **data)
        except ValidationError as exc:
            if hasattr(exc, "error_dict"):
                for field, errors in exc.message_dict.items():
                    form.add_error(field if field in form.fields else None, errors)
            else:
                for message in exc.messages:
                    form.add_error(None, message)
        else:
            return redirect("intake:call_detail", call_id=call.pk)
    return render(
        request, "intake/call_new.html", {"form": form}, status=400 if form.errors else 200
    )


# Who works with calls: intake, the teams, and care staff following a call up.
CALL_READER_ROLES = DISPATCH_ROLES | ENCOUNTER_ROLES | CARE_ROLES


@login_required
def call_list(request: HttpRequest) -> HttpResponse:
    require_role(request.user, CALL_READER_ROLES)
    calls = selectors.calls_visible(user=request.user)
    status = request.GET.get("status", "")
    if status in Call.Status.values:
        calls = calls.filter(status=status)
    page = Paginator(calls, 25).get_page(request.GET.get("page"))
    return render(
        request,
        "intake/call_list.html",
        {"page": page, "status": status, "statuses": Call.Status.choices},
    )


@login_required
def call_detail(request: HttpRequest, call_id: int) -> HttpResponse:
    require_role(request.user, CALL_READER_ROLES)
    try:
        call = selectors.call_get(user=request.user, call_id=call_id)
    except Call.DoesNotExist as exc:
        raise Http404("No such call, or you may not see it.") from exc
    options = options_for(
        call,
        call.triage.response_type,
        teams_free_for(user=request.user, program_id=call.program_id),
    )
    return render(
        request,
        "intake/call_detail.html",
        {
            "call": call,
            "options": options,
            "recommended": recommended(options),
            "encounters": encounters_for_call(user=request.user, call_id=call.pk),
            "close_form": CloseUnservedForm(),
        },
    )


@login_required
@require_POST
def call_close_unserved(request: HttpRequest, call_id: int) -> HttpResponse:
    form = CloseUnservedForm(request.POST)
    if not form.is_valid():
        messages.error(request, services.ERR_UNSERVED_REASON)
        return redirect("intake:call_detail", call_id=call_id)
    try:
        services.call_close_unserved(
            actor=request.user, call_id=call_id, reason=form.cleaned_data["reason"]
        )
    except Call.DoesNotExist as exc:
        raise Http404 from exc
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(request, "Call closed without a team; the reason is recorded.")
    return redirect("dispatch:board")


@login_required
def protocol_page(request: HttpRequest) -> HttpResponse:
    """The active dispatch protocol of each of the user's programs, as a table of rules."""
    require_role(request.user, CALL_READER_ROLES)
    entries: list[dict[str, Any]] = []
    for program in _programs(request, CALL_READER_ROLES):
        try:
            version, rules = active_protocol(program)
        except ValidationError as exc:
            entries.append({"program": program, "protocol": None, "problem": exc.messages[0]})
            continue
        entries.append(
            {
                "program": program,
                "version": version,
                "protocol": rules,
                "hours": rules.hours_text(" to "),
            }
        )
    return render(request, "intake/protocol.html", {"protocols": entries})
