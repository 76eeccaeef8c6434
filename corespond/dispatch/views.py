"""The dispatch board: calls waiting, teams and their status, and assignment."""

from __future__ import annotations

import json
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse, StreamingHttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_POST

from corespond.core.models import Program
from corespond.core.roles import DISPATCH_ROLES, require_role
from corespond.dispatch import events, schematic, services
from corespond.dispatch.models import Team
from corespond.dispatch.selectors import board_version, teams_for, triage_preview
from corespond.intake.models import Call
from corespond.intake.protocol import WEEKDAYS, Facts, ProtocolError
from corespond.intake.selectors import calls_waiting


@login_required
def board(request: HttpRequest) -> HttpResponse:
    require_role(request.user, DISPATCH_ROLES)
    calls = list(calls_waiting(user=request.user)[:100])
    teams = list(teams_for(user=request.user))
    context = {
        "calls": calls,
        "teams": teams,
        "points": schematic.place(teams, calls),
        "version": board_version(user=request.user),
    }
    # HTMX polls the board body; a full page load renders the frame around it.
    template = (
        "dispatch/_board.html" if request.headers.get("HX-Request") else "dispatch/board.html"
    )
    return render(request, template, context)


@login_required
def board_events(request: HttpRequest) -> StreamingHttpResponse:
    """The live board's event stream (server-sent events; see dispatch/events.py)."""
    require_role(request.user, DISPATCH_ROLES)
    user = request.user

    def version() -> str:
        return board_version(user=user)

    # Under ASGI the stream must be an async iterator, under WSGI a plain one: Django reads
    # the other kind whole before sending anything, which would never end here.
    content: Any = (
        events.stream_async(version) if hasattr(request, "scope") else events.stream_sync(version)
    )
    response = StreamingHttpResponse(content, content_type="text/event-stream")
    response["Cache-Control"] = "no-cache"
    response["X-Accel-Buffering"] = "no"  # nginx: pass events through at once
    return response


@login_required
@require_POST
def assign(request: HttpRequest, call_id: int) -> HttpResponse:
    try:
        team_id = int(request.POST.get("team", ""))
    except ValueError:
        messages.error(request, "Choose a team to assign.")
        return redirect("intake:call_detail", call_id=call_id)
    try:
        assignment = services.unit_assign(
            actor=request.user,
            call_id=call_id,
            team_id=team_id,
            override_reason=request.POST.get("override_reason", "")[:200],
        )
    except Call.DoesNotExist as exc:
        raise Http404("No such call, or you may not see it.") from exc
    except Team.DoesNotExist as exc:
        raise Http404("No such team.") from exc
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
        return redirect("intake:call_detail", call_id=call_id)
    messages.success(request, f"{assignment.team.call_sign} assigned.")
    return redirect("dispatch:board")


ERR_PREVIEW_BODY = (
    "Send a JSON object: program (slug), the call facts, optional latitude/longitude."
)


@login_required
@require_POST
def preview(request: HttpRequest) -> JsonResponse:
    """Triage + recommendation for call facts, without writing anything (JSON in, JSON out).

    Body: ``{"program": "riverside", "call_type": "EDP", "behavioral_health": true, ...,
    "latitude": 44.05, "longitude": -123.09}``; the facts are those of ``corespond triage``,
    and ``time`` defaults to now in the program's zone.
    """
    try:
        body = json.loads(request.body or b"{}")
    except (json.JSONDecodeError, UnicodeDecodeError):
        return JsonResponse({"error": ERR_PREVIEW_BODY}, status=400)
    if not isinstance(body, dict) or not isinstance(body.get("program"), str):
        return JsonResponse({"error": ERR_PREVIEW_BODY}, status=400)
    program = Program.objects.filter(slug=body.pop("program")).first()
    if program is None:
        return JsonResponse({"error": "No such program."}, status=404)
    try:
        require_role(request.user, DISPATCH_ROLES, program_id=program.pk)
    except PermissionDenied as exc:
        return JsonResponse({"error": str(exc)}, status=403)
    where = [body.pop(key, None) for key in ("latitude", "longitude")]
    try:
        lat, lon = (None, None) if None in where else (float(where[0]), float(where[1]))
        # Without a time the call is happening now, in the program's zone.
        local = timezone.localtime(timezone=program.tzinfo)
        if "time" not in body and "hour" not in body:
            body["time"] = f"{local:%H:%M}"
        body.setdefault("weekday", WEEKDAYS[local.weekday()])
        facts = Facts.from_mapping(body)
        result = triage_preview(
            user=request.user, program=program, facts=facts, latitude=lat, longitude=lon
        )
    except (ProtocolError, TypeError, ValueError) as exc:
        return JsonResponse({"error": str(exc)}, status=400)
    except ValidationError as exc:
        return JsonResponse({"error": " ".join(exc.messages)}, status=409)
    return JsonResponse(result.as_json())
