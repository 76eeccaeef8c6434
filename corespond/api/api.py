"""The REST API, ``/api/v1/`` (django-ninja; no postponed annotations here: ninja reads
the signatures): OpenAPI at ``/api/v1/openapi.json``, browsable
docs at ``/api/v1/docs``. docs/api.md is the integrator's guide.

Every operation needs a bearer token (``corespond token issue``) holding the operation's
scope; the request then acts as the token's integration account, so the access gate, the
sharing policy and the audit log apply exactly as on the web pages. Reads and writes call
the same selectors and services as the pages. Errors have one shape (``ErrorOut``).
"""

from typing import Any

from django.core.exceptions import ObjectDoesNotExist, PermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db.models import QuerySet
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404
from django.utils import timezone
from ninja import Field, NinjaAPI, Query, Schema, Status
from ninja.errors import AuthenticationError, HttpError, Throttled
from ninja.errors import ValidationError as RequestInvalid
from ninja.pagination import PageNumberPagination, paginate

from corespond.api import schemas as s
from corespond.api.auth import AnonymousRateThrottle, TokenAuth, TokenRateThrottle, need
from corespond.api.models import Scope
from corespond.core.access import Action, AggregateOnly, audit_event, programs_for, system
from corespond.core.models import Agency, Program
from corespond.core.roles import DISPATCH_ROLES, OUTCOME_ROLES, require_role
from corespond.intake.models import Call
from corespond.intake.protocol import Facts, ProtocolError
from corespond.interop import eido

api = NinjaAPI(
    title="corespond API",
    version="1",
    description=(
        "Calls, triage, teams, encounters, people, follow-ups, referrals, resources and "
        "metrics of a co-responder program, and NENA EIDO exchange with CAD. Bearer tokens "
        "with scopes; see docs/api.md."
    ),
    auth=TokenAuth(),
    throttle=[TokenRateThrottle(), AnonymousRateThrottle()],
    urls_namespace="api",
)

ERRORS: dict[int, Any] = {
    400: s.ErrorOut,
    401: s.ErrorOut,
    403: s.ErrorOut,
    404: s.ErrorOut,
    409: s.ErrorOut,
    422: s.ErrorOut,
    429: s.ErrorOut,
}


def _error(
    request: HttpRequest, status: int, code: str, message: str, details: Any = None
) -> HttpResponse:
    body: dict[str, Any] = {"status": status, "code": code, "message": message}
    if details:
        body["details"] = details
    return api.create_response(request, {"error": body}, status=status)


@api.exception_handler(RequestInvalid)
def _invalid_request(request: HttpRequest, exc: RequestInvalid) -> HttpResponse:
    details = [
        {"field": ".".join(str(p) for p in e.get("loc", ())), "message": e.get("msg", "")}
        for e in exc.errors
    ]
    return _error(request, 422, "invalid_request", "The request does not validate.", details)


@api.exception_handler(DjangoValidationError)
def _invalid(request: HttpRequest, exc: DjangoValidationError) -> HttpResponse:
    if hasattr(exc, "error_dict"):
        details = [
            {"field": field, "message": " ".join(messages)}
            for field, messages in exc.message_dict.items()
        ]
    else:
        details = [{"field": "", "message": m} for m in exc.messages]
    return _error(request, 400, "invalid", "The request was refused.", details)


@api.exception_handler(eido.EidoError)
def _invalid_eido(request: HttpRequest, exc: eido.EidoError) -> HttpResponse:
    details = [{"field": exc.path, "message": exc.message}]
    return _error(request, 400, "invalid_eido", str(exc), details)


@api.exception_handler(AuthenticationError)
def _unauthenticated(request: HttpRequest, exc: AuthenticationError) -> HttpResponse:
    return _error(request, 401, "unauthenticated", "A valid bearer token is needed.")


@api.exception_handler(Throttled)
def _throttled(request: HttpRequest, exc: Throttled) -> HttpResponse:
    response = _error(request, 429, "rate_limited", "Too many requests: slow down.")
    if exc.wait:
        response["Retry-After"] = str(int(exc.wait) + 1)
    return response


@api.exception_handler(HttpError)
def _http_error(request: HttpRequest, exc: HttpError) -> HttpResponse:
    code = {403: "forbidden", 404: "not_found", 409: "conflict"}.get(exc.status_code, "error")
    return _error(request, exc.status_code, code, exc.message)


@api.exception_handler(PermissionDenied)
def _forbidden(request: HttpRequest, exc: PermissionDenied) -> HttpResponse:
    return _error(request, 403, "forbidden", str(exc) or "Not allowed.")


@api.exception_handler(AggregateOnly)
def _aggregate_only(request: HttpRequest, exc: AggregateOnly) -> HttpResponse:
    return _error(request, 403, "forbidden", str(exc))


@api.exception_handler(Http404)
def _not_found(request: HttpRequest, exc: Http404) -> HttpResponse:
    return _error(request, 404, "not_found", str(exc) or "Not found.")


@api.exception_handler(ObjectDoesNotExist)
def _missing(request: HttpRequest, exc: ObjectDoesNotExist) -> HttpResponse:
    return _error(request, 404, "not_found", "Not found, or not yours to see.")


class Page(PageNumberPagination):
    """Page numbers, 50 a page by default, at most 200; bounded so a huge page number is a
    clear 422 rather than an integer the database cannot hold."""

    class Input(Schema):
        page: int = Field(1, ge=1, le=1_000_000)
        page_size: int | None = Field(None, ge=1, le=200)


PAGE = {"page_size": 50, "max_page_size": 200}


def _program(user: Any, slug: str | None, roles: frozenset[str] | None = None) -> Program:
    """The program named by ``slug`` among the user's (the only one if not named)."""
    mine = Program.objects.all() if user.is_superuser else programs_for(user, roles)
    if slug:
        return get_object_or_404(mine, slug=slug)
    found = list(mine[:2])
    if len(found) != 1:
        raise HttpError(400, "Name the program (?program=<slug>): the token's account has several.")
    return found[0]


# --- calls -------------------------------------------------------------------------------


@api.get(
    "/calls",
    response={200: list[s.CallOut], **ERRORS},
    tags=["calls"],
    summary="Calls the token may read, newest first",
)
@paginate(Page, **PAGE)
def calls_list(request: HttpRequest, filters: Query[s.CallFilters]) -> QuerySet[Any]:
    from corespond.intake.selectors import calls_visible

    user = need(request, Scope.CALLS_READ)
    qs = calls_visible(user=user).select_related("triage", "program", "agency")
    if filters.since:
        qs = qs.filter(received_at__gte=filters.since)
    if filters.until:
        qs = qs.filter(received_at__lt=filters.until)
    if filters.status:
        qs = qs.filter(status=filters.status)
    return qs.order_by("-received_at", "-pk")


@api.get(
    "/calls/{call_id}", response={200: s.CallOut, **ERRORS}, tags=["calls"], summary="One call"
)
def call_get(request: HttpRequest, call_id: int) -> Any:
    from corespond.intake.selectors import calls_visible

    user = need(request, Scope.CALLS_READ)
    return get_object_or_404(
        calls_visible(user=user).select_related("triage", "program", "agency"), pk=call_id
    )


@api.post(
    "/calls",
    response={201: s.CallOut, **ERRORS},
    tags=["calls"],
    summary="Record a call (triaged at once)",
)
def call_new(request: HttpRequest, payload: s.CallIn) -> Any:
    """Record a call and triage it with the program's active protocol."""
    from corespond.intake.services import call_create

    user = need(request, Scope.CALLS_WRITE)
    program = _program(user, payload.program, DISPATCH_ROLES)
    agency = get_object_or_404(Agency, slug=payload.agency)
    call = call_create(
        actor=user,
        program=program,
        agency=agency,
        received_at=payload.received_at or timezone.now(),
        call_type=payload.call_type,
        address=payload.address,
        behavioral_health=payload.behavioral_health,
        weapons=payload.weapons,
        violence_in_progress=payload.violence_in_progress,
        medical_emergency=payload.medical_emergency,
        source=payload.source,
        source_call_type=payload.source_call_type,
        description=payload.description,
        zone=payload.zone,
        latitude=payload.latitude,
        longitude=payload.longitude,
    )
    # The call just recorded goes back to whoever recorded it, whether or not the sharing
    # policy lets the account read that agency's calls later: a 404 here would make the
    # client send it again.
    found = system(
        Call.objects.select_related("triage", "program", "agency"),
        reason="API: the call just recorded, to its sender",
    ).get(pk=call.pk)
    return Status(201, found)


# --- triage (dry run) ----------------------------------------------------------------------


@api.post(
    "/triage",
    response={200: s.TriageOut, **ERRORS},
    tags=["triage"],
    summary="Triage call facts without recording them",
)
def triage_dry_run(request: HttpRequest, payload: s.TriageIn) -> Any:
    """Triage call facts with the program's active protocol and rank its free teams,
    writing nothing."""
    from corespond.dispatch.selectors import triage_preview

    user = need(request, Scope.TRIAGE)
    program = _program(user, payload.program, DISPATCH_ROLES)
    require_role(user, DISPATCH_ROLES, program_id=program.pk)
    try:
        facts = Facts.from_mapping(payload.facts)
    except ProtocolError as exc:
        raise DjangoValidationError({"facts": str(exc)}) from exc
    preview = triage_preview(
        user=user,
        program=program,
        facts=facts,
        latitude=payload.latitude,
        longitude=payload.longitude,
    )
    decision = preview.decision
    return {
        "protocol_version": preview.protocol_version,
        "response_type": decision.response_type,
        "priority": decision.priority,
        "eligible": decision.eligible,
        "rule": decision.rule,
        "explanation": decision.explanation,
        "outside_service_hours": decision.outside_service_hours,
        "teams": [
            {"call_sign": o.team.call_sign, "fits": o.fits, "eta_minutes": o.eta_minutes}
            for o in preview.options
        ],
    }


# --- teams --------------------------------------------------------------------------------


@api.get(
    "/teams",
    response={200: list[s.TeamOut], **ERRORS},
    tags=["teams"],
    summary="Teams and their status",
)
@paginate(Page, **PAGE)
def teams_list(request: HttpRequest) -> QuerySet[Any]:
    from corespond.dispatch.selectors import teams_for

    user = need(request, Scope.TEAMS_READ)
    return teams_for(user=user).select_related("program").order_by("call_sign", "pk")


# --- encounters ---------------------------------------------------------------------------


@api.get(
    "/encounters",
    response={200: list[s.EncounterOut], **ERRORS},
    tags=["encounters"],
    summary="Encounters the token may read, newest first",
)
@paginate(Page, **PAGE)
def encounters_list(request: HttpRequest, filters: Query[s.CallFilters]) -> QuerySet[Any]:
    from corespond.field.selectors import encounters_visible

    user = need(request, Scope.ENCOUNTERS_READ)
    qs = encounters_visible(user=user).select_related("call", "team")
    if filters.since:
        qs = qs.filter(received_at__gte=filters.since)
    if filters.until:
        qs = qs.filter(received_at__lt=filters.until)
    return qs.order_by("-received_at", "-pk")


@api.get(
    "/encounters/{encounter_id}",
    response={200: s.EncounterOut, **ERRORS},
    tags=["encounters"],
    summary="One encounter",
)
def encounter_get(request: HttpRequest, encounter_id: int) -> Any:
    from corespond.field.selectors import encounters_visible

    user = need(request, Scope.ENCOUNTERS_READ)
    return get_object_or_404(
        encounters_visible(user=user).select_related("call", "team"), pk=encounter_id
    )


# --- people -------------------------------------------------------------------------------


@api.get(
    "/people",
    response={200: list[s.PersonOut], **ERRORS},
    tags=["people"],
    summary="Find people by name and date of birth",
)
def people_search(request: HttpRequest, filters: Query[s.PeopleFilters]) -> Any:
    """People of the program whose names hold every word of ``q`` (at most 10), narrowed by
    date of birth: to link a known person rather than record them twice."""
    from corespond.people.selectors import person_search

    user = need(request, Scope.PEOPLE_READ)
    program = _program(user, filters.program)
    return person_search(
        user=user, program_id=program.pk, query=filters.q, birth_date=filters.birth_date
    )


# --- follow-ups and referrals -------------------------------------------------------------


@api.get(
    "/followups",
    response={200: list[s.FollowUpOut], **ERRORS},
    tags=["care"],
    summary="Follow-ups, open or closed",
)
@paginate(Page, **PAGE)
def followups_list(request: HttpRequest, filters: Query[s.FollowUpFilters]) -> Any:
    from corespond.care.selectors import followup_queue

    user = need(request, Scope.FOLLOWUPS_READ)
    return followup_queue(user=user, state=filters.state)


@api.get(
    "/referrals",
    response={200: list[s.ReferralOut], **ERRORS},
    tags=["care"],
    summary="Referrals, open, overdue or all",
)
@paginate(Page, **PAGE)
def referrals_list(request: HttpRequest, filters: Query[s.ReferralFilters]) -> Any:
    from corespond.care.selectors import referral_list

    user = need(request, Scope.REFERRALS_READ)
    found = referral_list(user=user, show=filters.state).select_related("resource")
    return found.order_by("-created_at", "-pk") if filters.state == "all" else found


@api.post("/referrals/{referral_id}/status", response={200: s.ReferralOut, **ERRORS}, tags=["care"])
def referral_status(request: HttpRequest, referral_id: int, payload: s.ReferralStatusIn) -> Any:
    """Move a referral along its closed loop (statuses are FHIR Task statuses)."""
    from corespond.care.selectors import referrals_visible
    from corespond.care.services import referral_status_set

    user = need(request, Scope.REFERRALS_WRITE)
    referral_status_set(
        actor=user, referral_id=referral_id, status=payload.status, note=payload.note
    )
    return referrals_visible(user=user).select_related("resource").get(pk=referral_id)


# --- resources ----------------------------------------------------------------------------


@api.get(
    "/resources",
    response={200: list[s.ResourceOut], **ERRORS},
    tags=["resources"],
    summary="Search the resource directory",
)
def resources_search(request: HttpRequest, filters: Query[s.ResourceFilters]) -> Any:
    """The resource directory by need, eligibility, open now and distance (nearest first
    when a point is given). At most 100."""
    from corespond.care.selectors import resource_search

    user = need(request, Scope.RESOURCES_READ)
    near = None
    if filters.latitude is not None and filters.longitude is not None:
        near = (filters.latitude, filters.longitude)
    hits = resource_search(
        user=user,
        query=filters.q,
        category=filters.category,
        near=near,
        open_now=filters.open_now,
        age=filters.age,
        language=filters.language,
    )
    return [
        {
            "id": h.resource.pk,
            "name": h.resource.name,
            "organization": h.resource.organization,
            "category": h.resource.category,
            "status": h.resource.status,
            "address": h.resource.address,
            "phone": h.resource.phone,
            "hours": h.resource.hours,
            "open_now": h.open_now,
            "distance_km": h.distance_km,
            "open_beds": h.resource.open_beds,
            "capacity_stale": h.stale,
        }
        for h in hits[:100]
    ]


# --- metrics ------------------------------------------------------------------------------


@api.get(
    "/metrics",
    response={200: dict[str, Any], **ERRORS},
    tags=["metrics"],
    summary="The metric catalog for a period",
)
def metrics_catalog(request: HttpRequest, filters: Query[s.MetricFilters]) -> Any:
    """The metric catalog (spec/metrics.md) for a program and period, keyed by metric id;
    each rate with its numerator and denominator."""
    from corespond.outcomes import metrics

    user = need(request, Scope.METRICS_READ)
    program = _program(user, filters.program, OUTCOME_ROLES)
    require_role(user, OUTCOME_ROLES, program_id=program.pk)
    try:
        scope = metrics.Filters(
            date_from=filters.date_from,
            date_to=filters.date_to,
            program_id=program.pk,
            tz=program.timezone,
        )
    except ValueError as exc:
        raise DjangoValidationError({"date_from": str(exc)}) from exc
    values = metrics.compute(scope, user=user)
    audit_event(user=user, action=Action.AGGREGATE, model=Call, ids=[], purpose="API metrics")
    # Evaluators get small counts suppressed here as on the pages (spec/metrics.md).
    return metrics.suppressed(values) if metrics.suppression_applies(user) else values


# --- NENA EIDO ----------------------------------------------------------------------------


@api.post(
    "/eido",
    response={200: s.EidoReceipt, 201: s.EidoReceipt, **ERRORS},
    tags=["eido"],
    summary="Receive an incident from CAD (NENA EIDO)",
    openapi_extra={
        "requestBody": {
            "required": True,
            "content": {"application/json": {"schema": {"type": "object"}}},
        }
    },
)
def eido_receive(request: HttpRequest, filters: Query[s.EidoTarget]) -> Any:
    """Receive an Emergency Incident Data Object (NENA-STA-021) from CAD: the first copy of
    an incident makes a triaged call; a later ``lastUpdateTimeStamp`` updates it; the same
    or an older one changes nothing and says so. See docs/eido.md."""
    user = need(request, Scope.EIDO_WRITE)
    program = _program(user, filters.program, DISPATCH_ROLES)
    agency = eido.agency_for(user, program, filters.agency)
    document = eido.load_json(request.body)
    outcome = eido.receive(document, actor=user, program=program, agency=agency)
    status = 201 if outcome.result == eido.CREATED else 200
    return Status(
        status,
        {
            "result": outcome.result,
            "message": outcome.message,
            "incident_id": outcome.incident_id,
            "call_id": outcome.call_id,
            "call_reference": outcome.call_reference,
        },
    )


@api.get(
    "/eido/{path:incident_id}",
    response={200: dict[str, Any], **ERRORS},
    tags=["eido"],
    summary="An incident as NENA EIDO, with corespond's dispatches and disposition",
)
def eido_get(request: HttpRequest, incident_id: str) -> Any:
    """The incident as EIDO: the call, its dispatches and disposition, for the CAD to take
    updates back. Components corespond does not read are returned as received."""
    user = need(request, Scope.EIDO_READ)
    return eido.export(incident_id, user=user)
