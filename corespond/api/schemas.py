"""What the API takes and gives (pydantic models through django-ninja): the OpenAPI
document is generated from these."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Annotated, Any, Literal

from ninja import Field, Schema
from pydantic import AfterValidator

from corespond.core.vocab import CallSource, CallType, ReferralStatus

CallTypeCode = Literal[tuple(CallType.values)]  # type: ignore[valid-type]
CallSourceCode = Literal[tuple(CallSource.values)]  # type: ignore[valid-type]
ReferralStatusCode = Literal[tuple(ReferralStatus.values)]  # type: ignore[valid-type]


def _sane_moment(value: datetime) -> datetime:
    """A time the databases can hold: years 2000-2100 and a real UTC offset (PostgreSQL
    refuses offsets beyond about 15 hours; an offset-less time is read as UTC)."""
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    offset = value.utcoffset() or timedelta(0)
    if abs(offset) > timedelta(hours=14):
        raise ValueError("the UTC offset must lie between -14:00 and +14:00")
    if not 2000 <= value.year <= 2100:
        raise ValueError("the year must lie between 2000 and 2100")
    return value.astimezone(UTC)


Moment = Annotated[datetime, AfterValidator(_sane_moment)]


class ErrorBody(Schema):
    status: int
    code: str = Field(description="A stable word: invalid, invalid_eido, forbidden, ...")
    message: str
    details: list[dict[str, str]] | None = Field(
        None, description="Per field: {'field': 'incidentComponent[0].…', 'message': '…'}"
    )


class ErrorOut(Schema):
    error: ErrorBody


class TriageDecisionOut(Schema):
    response_type: str
    priority: int
    eligible: bool
    rule: str
    explanation: str
    outside_service_hours: bool
    protocol_version: str


class CallOut(Schema):
    id: int
    reference: str
    program: str
    agency: str
    received_at: datetime
    source: str
    call_type: str
    source_call_type: str
    behavioral_health: bool
    weapons: bool
    violence_in_progress: bool
    medical_emergency: bool
    address: str
    zone: str
    status: str
    unserved_reason: str
    triage: TriageDecisionOut | None

    @staticmethod
    def resolve_program(obj: Any) -> str:
        return str(obj.program.slug)

    @staticmethod
    def resolve_agency(obj: Any) -> str:
        return str(obj.agency.slug)

    @staticmethod
    def resolve_triage(obj: Any) -> Any:
        return getattr(obj, "triage", None)


class CallFilters(Schema):
    since: Moment | None = Field(None, description="Received at or after (ISO 8601)")
    until: Moment | None = Field(None, description="Received before (ISO 8601)")
    status: Literal["waiting", "assigned", "closed"] | None = None


class CallIn(Schema):
    program: str | None = Field(
        None, max_length=64, description="Program slug; optional if the account has one"
    )
    agency: str = Field(..., max_length=64, description="Slug of the agency taking the call")
    received_at: Moment | None = Field(None, description="Default: now")
    call_type: CallTypeCode  # type: ignore[valid-type]
    address: str = Field(..., min_length=1, max_length=200)
    behavioral_health: bool = False
    weapons: bool = False
    violence_in_progress: bool = False
    medical_emergency: bool = False
    source: CallSourceCode = "911"  # type: ignore[valid-type]
    source_call_type: str = Field("", max_length=120)
    description: str = Field("", max_length=4000)
    zone: str = Field("", max_length=64)
    latitude: float | None = Field(None, ge=-90, le=90)
    longitude: float | None = Field(None, ge=-180, le=180)


class TriageIn(Schema):
    program: str | None = Field(None, max_length=64)
    facts: dict[str, Any] = Field(
        ...,
        description="Call facts as the protocol reads them (docs/protocols.md): call_type, "
        "behavioral_health, weapons, hour, weekday, zone, ...",
    )
    latitude: float | None = Field(None, ge=-90, le=90)
    longitude: float | None = Field(None, ge=-180, le=180)


class TeamOption(Schema):
    call_sign: str
    fits: bool = Field(description="The team's response type is the one the decision asks for")
    eta_minutes: float | None


class TriageOut(Schema):
    protocol_version: str
    response_type: str
    priority: int
    eligible: bool
    rule: str
    explanation: str
    outside_service_hours: bool
    teams: list[TeamOption]


class TeamOut(Schema):
    id: int
    call_sign: str
    name: str
    program: str
    response_type: str
    status: str
    status_changed_at: datetime | None

    @staticmethod
    def resolve_program(obj: Any) -> str:
        return str(obj.program.slug)


class EncounterOut(Schema):
    id: int
    call_id: int
    call_reference: str
    team: str | None
    received_at: datetime | None
    dispatched_at: datetime | None
    arrived_at: datetime | None
    cleared_at: datetime | None
    contact_outcome: str
    disposition: str
    involuntary_hold: bool
    use_of_force: bool
    injury_person: bool
    injury_staff: bool
    transported_by: str
    service_provided: bool
    completed_at: datetime | None

    @staticmethod
    def resolve_call_reference(obj: Any) -> str:
        return str(obj.call.reference)

    @staticmethod
    def resolve_team(obj: Any) -> str | None:
        return obj.team.call_sign if obj.team else None


class PeopleFilters(Schema):
    program: str | None = Field(None, max_length=64)
    q: str = Field("", max_length=100, description="Words of the given or family name")
    birth_date: date | None = None


class PersonOut(Schema):
    id: int
    given_name: str
    family_name: str
    birth_date: date | None


class FollowUpFilters(Schema):
    state: Literal["open", "closed"] = Field(
        "open", description="open: due first; closed: most recent first"
    )


class FollowUpOut(Schema):
    id: int
    kind: str
    encounter_id: int | None
    person_id: int | None
    due_at: datetime
    outcome: str
    created_at: datetime
    closed_at: datetime | None


class ReferralFilters(Schema):
    state: Literal["open", "overdue", "all"] = "open"


class ReferralOut(Schema):
    id: int
    person_id: int | None
    encounter_id: int | None
    resource: str
    status: str
    status_changed_at: datetime | None
    created_at: datetime

    @staticmethod
    def resolve_resource(obj: Any) -> str:
        return str(obj.resource.name)


class ReferralStatusIn(Schema):
    status: ReferralStatusCode  # type: ignore[valid-type]
    note: str = Field("", max_length=500)


class ResourceFilters(Schema):
    q: str = Field("", max_length=100, description="Words of the need or the service")
    category: str = Field("", max_length=64)
    latitude: float | None = Field(None, ge=-90, le=90)
    longitude: float | None = Field(None, ge=-180, le=180)
    open_now: bool = False
    age: int | None = Field(None, ge=0, le=130)
    language: str = Field("", max_length=32)


class ResourceOut(Schema):
    id: int
    name: str
    organization: str
    category: str
    status: str
    address: str
    phone: str
    hours: str
    open_now: bool | None = Field(description="None: the service publishes no weekly hours")
    distance_km: float | None
    open_beds: int | None
    capacity_stale: bool = Field(description="Capacity not confirmed in the last 24 hours")


class MetricFilters(Schema):
    program: str | None = Field(None, max_length=64)
    date_from: date | None = Field(None, ge=date(2000, 1, 1), le=date(2100, 12, 31))
    date_to: date | None = Field(None, ge=date(2000, 1, 1), le=date(2100, 12, 31))


class EidoTarget(Schema):
    program: str | None = Field(None, max_length=64, description="Program slug")
    agency: str | None = Field(
        None, max_length=64, description="Agency slug; default: the account's dispatch agency"
    )


class EidoReceipt(Schema):
    result: Literal["created", "updated", "unchanged", "ignored"]
    message: str
    incident_id: str
    call_id: int
    call_reference: str
