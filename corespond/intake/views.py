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
from corespond.core.roles import (
    CARE_ROLES,
    DISPATCH_ROLES,
    ENCOUNTER_ROLES,
    PROTOCOL_ROLES,
    require_role,
)
from corespond.dispatch.recommend import options_for, recommended
from corespond.dispatch.selectors import teams_free_for
from corespond.field.selectors import encounters_for_call
from corespond.intake import protocol, protocols_store, selectors, services
from corespond.intake.forms import CallForm, CloseUnservedForm, ProtocolSourceForm
from corespond.intake.models import Call, ProtocolVersion
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
# Everyone who acts on triage decisions may read the rules behind them.
PROTOCOL_READER_ROLES = CALL_READER_ROLES | PROTOCOL_ROLES


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
    """The active dispatch protocol of each of the user's programs, as a table of rules.

    Program managers, supervisors and agency administrators also see the stored versions and
    can start a draft.
    """
    require_role(request.user, PROTOCOL_READER_ROLES)
    editable = set(_programs(request, PROTOCOL_ROLES).values_list("pk", flat=True))
    entries: list[dict[str, Any]] = []
    for program in _programs(request, PROTOCOL_READER_ROLES):
        entry: dict[str, Any] = {"program": program, "protocol": None, "versions": None}
        if program.pk in editable:
            entry["versions"] = list(program.protocols.all())
        try:
            version, rules = active_protocol(program)
        except ValidationError as exc:
            entry["problem"] = exc.messages[0]
        else:
            entry.update(version=version, protocol=rules, hours=rules.hours_text(" to "))
        entries.append(entry)
    return render(request, "intake/protocol.html", {"protocols": entries})


def _form_errors(form: ProtocolSourceForm, exc: ValidationError) -> None:
    if hasattr(exc, "error_dict"):
        for field, errors in exc.message_dict.items():
            form.add_error(field if field in form.fields else None, errors)
    else:
        form.add_error(None, exc.messages)


@login_required
def protocol_draft_new(request: HttpRequest, program_id: int) -> HttpResponse:
    """Start a draft from the active version, or from a shipped template (?template=NAME)."""
    program = _programs(request, PROTOCOL_ROLES).filter(pk=program_id).first()
    if program is None:
        raise Http404("No such program among yours.")
    template = request.GET.get("template", "")
    if template in protocol.template_names():
        initial = (protocol.TEMPLATES_DIR / f"{template}.toml").read_text(encoding="utf-8")
    else:
        active = program.protocols.filter(status=ProtocolVersion.Status.ACTIVE).first()
        initial = active.source if active else ""
    form = ProtocolSourceForm(request.POST or None, initial={"source": initial})
    if request.method == "POST" and form.is_valid():
        try:
            draft = protocols_store.protocol_draft_create(
                actor=request.user, program=program, source=form.cleaned_data["source"]
            )
        except ValidationError as exc:
            _form_errors(form, exc)
        else:
            messages.success(request, f"Draft {draft.label} saved. Run its examples below.")
            return redirect("intake:protocol_version", version_id=draft.pk)
    return render(
        request,
        "intake/protocol_new.html",
        {"program": program, "form": form, "templates": protocol.template_names()},
        status=400 if form.errors else 200,
    )


@login_required
def protocol_version(request: HttpRequest, version_id: int) -> HttpResponse:
    """One stored version: its text, its examples run now, and for a draft the changes from
    the active version; a draft can be saved, activated or discarded here."""
    version = ProtocolVersion.objects.select_related("program").filter(pk=version_id).first()
    if (
        version is None
        or not _programs(request, PROTOCOL_ROLES).filter(pk=version.program_id).exists()
    ):
        raise Http404("No such protocol version among your programs.")
    is_draft = version.status == ProtocolVersion.Status.DRAFT
    form = ProtocolSourceForm(
        request.POST if request.method == "POST" else None, initial={"source": version.source}
    )
    if request.method == "POST":
        action = request.POST.get("action", "save")
        try:
            if action == "activate":
                protocols_store.protocol_activate(actor=request.user, version_id=version.pk)
                messages.success(request, f"{version.label} is now the active protocol.")
                return redirect("intake:protocol")
            if action == "discard":
                protocols_store.protocol_draft_delete(actor=request.user, version_id=version.pk)
                messages.success(request, f"Draft {version.label} discarded.")
                return redirect("intake:protocol")
            if form.is_valid():
                version = protocols_store.protocol_draft_update(
                    actor=request.user, version_id=version.pk, source=form.cleaned_data["source"]
                )
                messages.success(request, f"Draft {version.label} saved.")
                return redirect("intake:protocol_version", version_id=version.pk)
        except ValidationError as exc:
            if action == "save":
                _form_errors(form, exc)
            else:
                messages.error(request, " ".join(exc.messages))
                return redirect("intake:protocol_version", version_id=version.pk)
    try:
        rules = protocols_store.parsed(version)
        results = rules.run_examples()
    except protocol.ProtocolError as exc:
        rules, results = None, []
        messages.error(request, str(exc))
    active, changes = protocols_store.changes_from_active(version)
    return render(
        request,
        "intake/protocol_version.html",
        {
            "version": version,
            "is_draft": is_draft,
            "form": form,
            "protocol": rules,
            "results": results,
            "failing": sum(1 for r in results if not r.passed),
            "active": active,
            "changes": changes,
        },
        status=400 if form.errors else 200,
    )
