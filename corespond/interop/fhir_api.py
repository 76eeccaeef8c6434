"""The read-only FHIR R4 endpoint for health partners, ``/fhir/`` (with one write: a
partner's Task update closing a referral's loop). JSON (``application/fhir+json``); errors
are OperationOutcomes. The resources come from ``interop/fhir.py``, read through the access
gate as the bearer token's integration account (docs/fhir.md, docs/api.md).

No postponed annotations in this module: django-ninja reads the signatures.
"""

import re
from datetime import date, timedelta
from typing import Any

from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from ninja import Field, NinjaAPI, Query, Schema
from ninja.errors import AuthenticationError, HttpError, Throttled
from ninja.errors import ValidationError as RequestInvalid
from ninja.renderers import JSONRenderer

from corespond.api.auth import AnonymousRateThrottle, TokenAuth, TokenRateThrottle, need
from corespond.api.models import Scope
from corespond.interop import fhir

FHIR_JSON = "application/fhir+json"
SEARCHABLE = (
    "Encounter",
    "ServiceRequest",
    "Task",
    "QuestionnaireResponse",
    "Observation",
    "Consent",
)
_PATIENT = re.compile(r"^(?:Patient/)?person-([0-9]{1,18})$")
_DATE = re.compile(r"^(eq|ge|gt|le|lt)?(\d{4}-\d{2}-\d{2})$")


class FhirJson(JSONRenderer):
    media_type = FHIR_JSON


fhir_api = NinjaAPI(
    title="corespond FHIR R4",
    version="r4",
    description="Read-only FHIR R4 for health partners, and Task updates that close referral "
    "loops. Bearer tokens with the fhir:read / fhir:write scopes; see docs/fhir.md.",
    auth=TokenAuth(),
    throttle=[TokenRateThrottle(), AnonymousRateThrottle()],
    renderer=FhirJson(),
    urls_namespace="fhir",
)


class OperationOutcome(Schema):
    resourceType: str = "OperationOutcome"
    issue: list[dict[str, Any]]


ERRORS: dict[int, Any] = {s: OperationOutcome for s in (400, 401, 403, 404, 422, 429)}


def _outcome(
    request: HttpRequest, status: int, code: str, message: str, where: str = ""
) -> HttpResponse:
    issue: dict[str, Any] = {"severity": "error", "code": code, "diagnostics": message}
    if where:
        issue["expression"] = [where]
    body = {"resourceType": "OperationOutcome", "issue": [issue]}
    return fhir_api.create_response(request, body, status=status)


@fhir_api.exception_handler(RequestInvalid)
def _invalid_request(request: HttpRequest, exc: RequestInvalid) -> HttpResponse:
    first = exc.errors[0] if exc.errors else {}
    where = ".".join(str(p) for p in first.get("loc", ()))
    return _outcome(request, 422, "invalid", first.get("msg", "Invalid request."), where)


@fhir_api.exception_handler(fhir.TaskUpdateError)
def _bad_task(request: HttpRequest, exc: fhir.TaskUpdateError) -> HttpResponse:
    return _outcome(request, 400, "invalid", exc.message, exc.path)


@fhir_api.exception_handler(ValueError)
def _bad_value(request: HttpRequest, exc: ValueError) -> HttpResponse:
    return _outcome(request, 400, "invalid", str(exc))


@fhir_api.exception_handler(AuthenticationError)
def _unauthenticated(request: HttpRequest, exc: AuthenticationError) -> HttpResponse:
    return _outcome(request, 401, "login", "A valid bearer token is needed.")


@fhir_api.exception_handler(Throttled)
def _throttled(request: HttpRequest, exc: Throttled) -> HttpResponse:
    response = _outcome(request, 429, "throttled", "Too many requests: slow down.")
    if exc.wait:
        response["Retry-After"] = str(int(exc.wait) + 1)
    return response


@fhir_api.exception_handler(HttpError)
def _http_error(request: HttpRequest, exc: HttpError) -> HttpResponse:
    code = {403: "forbidden", 404: "not-found"}.get(exc.status_code, "processing")
    return _outcome(request, exc.status_code, code, exc.message)


@fhir_api.exception_handler(PermissionDenied)
def _forbidden(request: HttpRequest, exc: PermissionDenied) -> HttpResponse:
    return _outcome(request, 403, "forbidden", str(exc) or "Not allowed.")


@fhir_api.exception_handler(Http404)
def _not_found(request: HttpRequest, exc: Http404) -> HttpResponse:
    return _outcome(request, 404, "not-found", str(exc) or "Not found.")


def _person(reference: str, where: str) -> int:
    found = _PATIENT.match(reference)
    if not found:
        raise HttpError(404, f"{where}: no patient {reference!r} (ids look like person-12)")
    return int(found.group(1))


def _base(request: HttpRequest) -> str:
    return request.build_absolute_uri("/fhir").rstrip("/")


def _window(dates: list[str]) -> tuple[date | None, date | None]:
    """FHIR ``date`` search parameters at day precision (``eq``, ``ge``, ``gt``, ``le``,
    ``lt``) as the first and the last day included: ``bundle`` takes both inclusive."""
    first: date | None = None
    last: date | None = None
    for raw in dates:
        found = _DATE.match(raw)
        if not found:
            raise ValueError(f"date={raw!r}: use a day with an optional prefix, e.g. ge2026-01-01")
        prefix, day = found.group(1) or "eq", date.fromisoformat(found.group(2))
        if not date(2000, 1, 1) <= day <= date(2100, 12, 31):
            raise ValueError(f"date={raw!r}: outside the years 2000-2100")
        if prefix in ("ge", "eq"):
            first = day
        elif prefix == "gt":
            first = day + timedelta(days=1)
        if prefix in ("le", "eq"):
            last = day
        elif prefix == "lt":
            last = day - timedelta(days=1)
    if first and last and last < first:
        raise ValueError("The date range is empty: its end comes before its start.")
    return first, last


@fhir_api.get(
    "/metadata",
    auth=None,
    response={200: dict[str, Any], 429: OperationOutcome},
    summary="CapabilityStatement: what this server offers",
)
def metadata(request: HttpRequest) -> Any:
    search = [{"name": "patient", "type": "reference"}, {"name": "date", "type": "date"}]
    return {
        "resourceType": "CapabilityStatement",
        "status": "active",
        "kind": "instance",
        "date": "2026-11-28",
        "fhirVersion": "4.0.1",
        "format": ["application/fhir+json"],
        "rest": [
            {
                "mode": "server",
                "security": {"description": "Bearer tokens with scopes (docs/api.md)."},
                "resource": [
                    {
                        "type": "Patient",
                        "interaction": [{"code": "read"}],
                        "operation": [
                            {
                                "name": "everything",
                                "definition": (
                                    "http://hl7.org/fhir/OperationDefinition/Patient-everything"
                                ),
                            }
                        ],
                    },
                    *[
                        {
                            "type": kind,
                            "interaction": [{"code": "search-type"}]
                            + ([{"code": "read"}, {"code": "update"}] if kind == "Task" else []),
                            "searchParam": search,
                        }
                        for kind in SEARCHABLE
                    ],
                ],
            }
        ],
    }


@fhir_api.get(
    "/Patient/{patient_id}",
    response={200: dict[str, Any], **ERRORS},
    summary="One patient (a person the account may see)",
)
def patient_read(request: HttpRequest, patient_id: str) -> Any:
    user = need(request, Scope.FHIR_READ)
    person = _person(patient_id, "Patient")
    found = fhir.bundle(person_id=person, user=user, base_url=_base(request), only=frozenset())
    return next(e["resource"] for e in found["entry"] if e["resource"]["resourceType"] == "Patient")


class Period(Schema):
    start: date | None = Field(None, ge=date(2000, 1, 1), le=date(2100, 12, 31))
    end: date | None = Field(
        None, ge=date(2000, 1, 1), le=date(2100, 12, 31), description="The last day included"
    )


@fhir_api.get(
    "/Patient/{patient_id}/$everything",
    response={200: dict[str, Any], **ERRORS},
    summary="Everything the account may see of one patient, as a Bundle",
)
def patient_everything(request: HttpRequest, patient_id: str, period: Query[Period]) -> Any:
    user = need(request, Scope.FHIR_READ)
    person = _person(patient_id, "Patient")
    if period.start and period.end and period.end < period.start:
        raise ValueError("end must not come before start")
    return fhir.bundle(
        person_id=person,
        user=user,
        since=period.start,
        until=period.end,
        kind="searchset",
        base_url=_base(request),
    )


class Search(Schema):
    patient: str
    date: list[str] = []


@fhir_api.get(
    "/{resource_type}",
    response={200: dict[str, Any], **ERRORS},
    summary="Search one resource type by patient (required) and date",
)
def search(request: HttpRequest, resource_type: str, params: Query[Search]) -> Any:
    user = need(request, Scope.FHIR_READ)
    if resource_type not in SEARCHABLE:
        raise HttpError(404, f"{resource_type!r} is not searched here: {', '.join(SEARCHABLE)}")
    person = _person(params.patient, "patient")
    first, last = _window(params.date)
    found = fhir.bundle(
        person_id=person,
        user=user,
        since=first,
        until=last,
        kind="searchset",
        base_url=_base(request),
        only=frozenset({resource_type}),
    )
    entries = [
        {**e, "search": {"mode": "match"}}
        for e in found["entry"]
        if e["resource"]["resourceType"] == resource_type
    ]
    return {**found, "total": len(entries), "entry": entries}


@fhir_api.get(
    "/Task/{task_id}",
    response={200: dict[str, Any], **ERRORS},
    summary="One referral's Task",
)
def task_read(request: HttpRequest, task_id: str) -> Any:
    user = need(request, Scope.FHIR_READ)
    found = re.match(r"^referral-([0-9]{1,18})$", task_id)
    if not found:
        raise HttpError(404, f"No Task {task_id!r} (ids look like referral-12)")
    return fhir.export_task(int(found.group(1)), user=user)


@fhir_api.put(
    "/Task/{task_id}",
    response={200: dict[str, Any], **ERRORS},
    summary="A partner's Task update: its status moves the referral along its loop",
    openapi_extra={
        "requestBody": {
            "required": True,
            "content": {FHIR_JSON: {"schema": {"type": "object"}}},
        }
    },
)
def task_update(request: HttpRequest, task_id: str) -> Any:
    user = need(request, Scope.FHIR_WRITE)
    import json

    try:
        payload = json.loads(request.body)
    except (ValueError, UnicodeDecodeError) as exc:
        raise fhir.TaskUpdateError("Task", f"not JSON ({exc})") from exc
    if isinstance(payload, dict) and payload.get("id") not in (None, task_id):
        raise fhir.TaskUpdateError("Task.id", f"{payload.get('id')!r} does not match {task_id!r}")
    if isinstance(payload, dict):
        payload = {**payload, "id": task_id}
    referral = fhir.apply_task_update(payload, user=user)
    return fhir.export_task(referral.pk, user=user)
