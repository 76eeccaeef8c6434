"""NENA EIDO (NENA-STA-021, Emergency Incident Data Object) in and out.

In: an EIDO from CAD is checked whole before anything is written (every error names the
component and field, e.g. ``incidentComponent[0].incidentTypeCommonRegistryText``); the first
copy of an incident makes a call and triages it, a later ``lastUpdateTimeStamp`` updates the
call (and triages it again while it waits for a team), the same or an older one changes
nothing and says so. The object is kept whole, so components corespond does not read go back
out as they came. Out: the call, its dispatches and its disposition as EIDO, for the CAD to
take updates back.

docs/eido.md maps every field read or written to corespond's fields and vocabulary codes.
"""

from __future__ import annotations

import copy
import json
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.http import Http404
from django.utils import timezone

from corespond.core.access import restrict, system
from corespond.core.models import Agency, Program
from corespond.core.roles import DISPATCH_ROLES
from corespond.core.vocab import BEHAVIORAL_HEALTH_CALL_TYPES, CallType
from corespond.intake.models import Call

EIDO_VERSION = "1.0"
COMPONENTS = (
    "agencyComponent",
    "incidentComponent",
    "callComponent",
    "locationComponent",
    "personComponent",
    "notesComponent",
    "dispatchComponent",
)
# NENA incident-type registry text -> APCO call type, by the first phrase found (lower case).
# A CAD's own code in incidentTypeInternalCode is kept as the call's source type, which the
# protocol's [codes] table can map more precisely.
REGISTRY_TYPES: tuple[tuple[str, str], ...] = (
    ("suicid", CallType.SUICTHRT),
    ("overdose", CallType.OD),
    ("intoxicat", CallType.INTOX),
    ("welfare", CallType.WELFARE),
    ("mental", CallType.EDP),
    ("behavior", CallType.EDP),
    ("psychiatric", CallType.EDP),
    ("emotional", CallType.EDP),
)
# Mental-state texts that do not make a call a behavioural-health call.
CALM_STATES = frozenset({"", "normal", "none", "unknown", "not applicable"})
CIVIC_ORDER = ("HNO", "HNS", "PRD", "RD", "STS", "POD", "A6", "A3", "A1", "PC")
CREATED, UPDATED, UNCHANGED, IGNORED = "created", "updated", "unchanged", "ignored"


class EidoError(ValueError):
    """An EIDO that cannot be taken: ``path`` names the component and field."""

    def __init__(self, path: str, message: str) -> None:
        super().__init__(f"{path}: {message}")
        self.path = path
        self.message = message


@dataclass
class Incident:
    """What corespond reads of one EIDO."""

    eido_id: str
    last_update: datetime
    updated_by_agency: str
    incident_id: str
    received_at: datetime
    received_at_path: str
    call_type: str
    source_call_type: str
    behavioral_health: bool
    weapons: bool
    address: str
    latitude: float | None
    longitude: float | None
    description: str
    registry_types: list[str] = field(default_factory=list)


@dataclass
class Outcome:
    result: str
    message: str
    incident_id: str
    call_id: int
    call_reference: str


def load_json(raw: bytes | str) -> Any:
    try:
        return json.loads(raw)
    except (ValueError, UnicodeDecodeError) as exc:
        raise EidoError("$", f"not JSON ({exc})") from exc


# --- reading --------------------------------------------------------------------------------


def _at(path: str, key: str) -> str:
    return f"{path}.{key}" if path else key


def _text(obj: dict[str, Any], key: str, path: str, *, required: bool, limit: int = 255) -> str:
    value = obj.get(key)
    if value is None:
        if required:
            raise EidoError(_at(path, key), "required")
        return ""
    if not isinstance(value, str):
        raise EidoError(_at(path, key), f"must be a string, not {type(value).__name__}")
    if required and not value.strip():
        raise EidoError(_at(path, key), "must not be empty")
    if len(value) > limit:
        raise EidoError(_at(path, key), f"longer than {limit} characters")
    return value.strip()


def _texts(obj: dict[str, Any], key: str, path: str, *, required: bool) -> list[str]:
    value = obj.get(key)
    if value is None:
        if required:
            raise EidoError(_at(path, key), "required")
        return []
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise EidoError(_at(path, key), "must be a list of strings")
    if required and not any(v.strip() for v in value):
        raise EidoError(_at(path, key), "must hold at least one value")
    return [v.strip() for v in value if v.strip()]


def _time(obj: dict[str, Any], key: str, path: str, *, required: bool) -> datetime | None:
    value = obj.get(key)
    if value is None:
        if required:
            raise EidoError(_at(path, key), "required")
        return None
    if not isinstance(value, str):
        raise EidoError(_at(path, key), "must be an ISO 8601 date-time string")
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError as exc:
        raise EidoError(_at(path, key), f"not an ISO 8601 date-time: {value!r}") from exc
    if parsed.tzinfo is None:
        raise EidoError(_at(path, key), "needs a UTC offset (e.g. 2026-03-10T14:05:00-08:00)")
    if not 2000 <= parsed.year <= 2100:
        raise EidoError(_at(path, key), "outside the years 2000-2100")
    return parsed


def _number(obj: dict[str, Any], key: str, path: str, low: float, high: float) -> float | None:
    value = obj.get(key)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise EidoError(_at(path, key), "must be a number")
    if not low <= value <= high:
        raise EidoError(_at(path, key), f"must lie between {low} and {high}")
    return float(value)


def _index(document: dict[str, Any]) -> dict[str, tuple[str, dict[str, Any]]]:
    """Every component by its ``$id`` (the targets of ``$ref``), checking their shape."""
    found: dict[str, tuple[str, dict[str, Any]]] = {}
    for name in COMPONENTS:
        items = document.get(name)
        if items is None:
            continue
        if isinstance(items, dict):
            items = [items]  # a lone component is accepted as a list of one
            document[name] = items
        if not isinstance(items, list):
            raise EidoError(name, "must be a list of components")
        for i, item in enumerate(items):
            path = f"{name}[{i}]"
            if not isinstance(item, dict):
                raise EidoError(path, "must be an object")
            own = _text(item, "$id", path, required=True)
            if own in found:
                raise EidoError(f"{path}.$id", f"{own!r} is also the $id of {found[own][0]}")
            found[own] = (path, item)
    # Components corespond does not read may still be the targets of references.
    for name, items in document.items():
        if name.endswith("Component") and name not in COMPONENTS and isinstance(items, list):
            for i, item in enumerate(items):
                if isinstance(item, dict) and isinstance(item.get("$id"), str):
                    found.setdefault(item["$id"], (f"{name}[{i}]", item))
    return found


def _check_refs(value: Any, path: str, targets: dict[str, Any]) -> None:
    """Every ``{"$ref": id}`` anywhere in the object points at a component."""
    if isinstance(value, dict):
        if "$ref" in value:
            ref = value["$ref"]
            if not isinstance(ref, str) or not ref:
                raise EidoError(f"{path}.$ref", "must be a component's $id")
            if ref not in targets:
                raise EidoError(f"{path}.$ref", f"no component has the $id {ref!r}")
        for key, inner in value.items():
            _check_refs(inner, _at(path, key), targets)
    elif isinstance(value, list):
        for i, inner in enumerate(value):
            _check_refs(inner, f"{path}[{i}]", targets)


def _refs(value: Any) -> list[str]:
    if isinstance(value, dict) and isinstance(value.get("$ref"), str):
        return [value["$ref"]]
    if isinstance(value, list):
        return [r for v in value for r in _refs(v)]
    return []


def _address(location: dict[str, Any], path: str) -> str:
    text = _text(location, "civicAddressText", path, required=False, limit=200)
    if text:
        return text
    civic = location.get("civicAddress")
    if civic is None:
        return ""
    if not isinstance(civic, dict) or not all(isinstance(v, str) for v in civic.values()):
        raise EidoError(f"{path}.civicAddress", "must be an object of strings (HNO, RD, A3, ...)")
    street = " ".join(civic[k] for k in CIVIC_ORDER[:6] if civic.get(k))
    rest = ", ".join(civic[k] for k in CIVIC_ORDER[6:] if civic.get(k))
    return ", ".join(p for p in (street, rest) if p)[:200]


def parse(document: Any) -> Incident:
    """Check an EIDO whole and read what corespond needs; raises :class:`EidoError`."""
    if not isinstance(document, dict):
        raise EidoError("$", "an EIDO is a JSON object")
    eido_id = _text(document, "$id", "", required=True).strip()
    last_update = _time(document, "lastUpdateTimeStamp", "", required=True)
    _text(document, "eidoVersion", "", required=True, limit=16)
    _text(document, "issuingElementIdentification", "", required=False)
    targets = _index(document)
    _check_refs({k: v for k, v in document.items() if k != "$id"}, "", targets)
    by = document.get("updatedByAgencyReference")
    if not isinstance(by, dict) or "$ref" not in by:
        raise EidoError("updatedByAgencyReference", 'required: {"$ref": <agencyComponent $id>}')
    agency_path, agency = targets[by["$ref"]]
    if not agency_path.startswith("agencyComponent"):
        raise EidoError("updatedByAgencyReference.$ref", "must point at an agencyComponent")
    incidents = document.get("incidentComponent") or []
    if len(incidents) != 1:
        raise EidoError("incidentComponent", "exactly one incident per EIDO")
    incident = incidents[0]
    path = "incidentComponent[0]"
    registry = _texts(incident, "incidentTypeCommonRegistryText", path, required=True)
    internal = _text(incident, "incidentTypeInternalCode", path, required=False, limit=120)
    _texts(incident, "incidentStatusCommonRegistryText", path, required=False)
    _texts(incident, "incidentDispositionCommonRegistryText", path, required=False)
    _text(incident, "incidentPriorityText", path, required=False, limit=32)

    assert last_update is not None  # required above
    received, received_path = last_update, "lastUpdateTimeStamp"
    created = _time(incident, "incidentCreationTimeStamp", path, required=False)
    calls = document.get("callComponent") or []
    started = (
        _time(calls[0], "callStartTimeStamp", "callComponent[0]", required=False)
        if (calls)
        else None
    )
    if created is not None:
        received, received_path = created, f"{path}.incidentCreationTimeStamp"
    elif started is not None:
        received, received_path = started, "callComponent[0].callStartTimeStamp"

    address, latitude, longitude = "", None, None
    for ref in _refs(incident.get("locationReference")):
        loc_path, location = targets[ref]
        if not loc_path.startswith("locationComponent"):
            raise EidoError(f"{path}.locationReference", "must point at a locationComponent")
        address = address or _address(location, loc_path)
        latitude = (
            latitude if latitude is not None else _number(location, "latitude", loc_path, -90, 90)
        )
        longitude = (
            longitude
            if longitude is not None
            else _number(location, "longitude", loc_path, -180, 180)
        )
    if not address:
        raise EidoError(
            f"{path}.locationReference",
            "the incident needs a location with civicAddressText or civicAddress",
        )

    behavioral, weapons = False, False
    for i, person in enumerate(document.get("personComponent") or []):
        person_path = f"personComponent[{i}]"
        state = _text(person, "personMentalStateText", person_path, required=False, limit=200)
        behavioral = behavioral or state.lower() not in CALM_STATES
        armed = person.get("personWeaponInvolvedIndicator")
        if armed is not None and not isinstance(armed, bool):
            raise EidoError(f"{person_path}.personWeaponInvolvedIndicator", "must be true or false")
        weapons = weapons or bool(armed)
        nc = person.get("ncPersonComponent")
        if nc is not None and not isinstance(nc, dict):
            raise EidoError(f"{person_path}.ncPersonComponent", "must be an object")
    notes = []
    for i, note in enumerate(document.get("notesComponent") or []):
        text = _text(note, "noteText", f"notesComponent[{i}]", required=True, limit=2000)
        _time(note, "noteDateTimeStamp", f"notesComponent[{i}]", required=False)
        notes.append(text)

    call_type = internal if internal in CallType.values else ""
    if not call_type:
        words = " ".join(registry).lower()
        call_type = next((t for phrase, t in REGISTRY_TYPES if phrase in words), CallType.OTHER)
    return Incident(
        eido_id=eido_id,
        last_update=last_update,
        updated_by_agency=_text(agency, "agencyIdentifier", agency_path, required=False),
        incident_id=_text(incident, "incidentTrackingIdentifier", path, required=True),
        received_at=received,
        received_at_path=received_path,
        call_type=call_type,
        source_call_type="" if internal in CallType.values else internal,
        behavioral_health=behavioral or call_type in BEHAVIORAL_HEALTH_CALL_TYPES,
        weapons=weapons,
        address=address,
        latitude=latitude,
        longitude=longitude,
        description="\n".join(notes)[:4000],
        registry_types=registry,
    )


# --- receiving ------------------------------------------------------------------------------


def agency_for(user: Any, program: Program, slug: str | None) -> Agency:
    """The agency a CAD's calls are recorded under: named, or the account's one dispatch
    agency in the program."""
    mine = program.agencies.all()
    if not user.is_superuser:
        mine = mine.filter(memberships__user=user, memberships__role__in=DISPATCH_ROLES)
    mine = mine.distinct()
    if slug:
        found = mine.filter(slug=slug).first()
        if found is None:
            raise PermissionDenied(f"The account does not dispatch for {slug!r} in this program.")
        return found
    agencies = list(mine[:2])
    if len(agencies) != 1:
        raise ValidationError({"agency": "Name the agency (?agency=<slug>)."})
    return agencies[0]


def receive(document: Any, *, actor: Any, program: Program, agency: Agency) -> Outcome:
    """Take one EIDO (see the module's docstring). All or nothing."""
    incident = parse(document)
    for attempt in (1, 2):
        try:
            with transaction.atomic():
                return _receive(incident, document, actor, program, agency)
        except IntegrityError:
            # Two copies of a new incident at once: the other one made the call; this one
            # is now an update (or the same version).
            if attempt == 2:
                raise
    raise AssertionError("unreachable")


def _receive(
    incident: Incident, document: dict[str, Any], actor: Any, program: Program, agency: Agency
) -> Outcome:
    from corespond.intake.services import call_update_from_cad
    from corespond.interop.models import EidoIncident

    held = (
        system(EidoIncident.objects.all(), reason="EIDO: match the incident")
        .select_for_update()
        .filter(program=program, incident_id=incident.incident_id)
        .select_related("call")
        .first()
    )
    facts: dict[str, Any] = {
        "call_type": incident.call_type,
        "source_call_type": incident.source_call_type,
        "behavioral_health": incident.behavioral_health,
        "weapons": incident.weapons,
        "address": incident.address,
        "description": incident.description,
        "latitude": incident.latitude,
        "longitude": incident.longitude,
    }
    if held is None:
        return _first_copy(incident, document, actor, program, agency, facts)
    call = held.call
    if not restrict(Call.objects.filter(pk=call.pk), actor, purpose="EIDO").exists():
        raise PermissionDenied("This incident's call is not one the account may read.")
    if incident.last_update == held.last_update:
        message = f"This version ({incident.last_update.isoformat()}) was received before."
        return Outcome(UNCHANGED, message, incident.incident_id, call.pk, call.reference)
    if incident.last_update < held.last_update:
        message = (
            f"lastUpdateTimeStamp {incident.last_update.isoformat()} is older than the version "
            f"held ({held.last_update.isoformat()}): ignored."
        )
        return Outcome(IGNORED, message, incident.incident_id, call.pk, call.reference)
    try:
        call_update_from_cad(actor=actor, call_id=call.pk, **facts)
    except ValidationError as exc:
        raise _as_eido_error(exc, incident) from exc
    held.document = document
    held.eido_id = incident.eido_id
    held.last_update = incident.last_update
    held.updated_by_agency = incident.updated_by_agency
    held.save()
    return Outcome(
        UPDATED,
        f"Call {call.reference} updated from the version of {incident.last_update.isoformat()}.",
        incident.incident_id,
        call.pk,
        call.reference,
    )


# A CAD clock a little ahead of ours is not a call from the future.
CLOCK_SKEW = timedelta(minutes=5)


def _first_copy(
    incident: Incident,
    document: dict[str, Any],
    actor: Any,
    program: Program,
    agency: Agency,
    facts: dict[str, Any],
) -> Outcome:
    """The first EIDO of an incident: a new call, or the call an import of the same CAD's
    history already made for it (same external id), which this object then updates."""
    from corespond.intake.services import call_create, call_update_from_cad
    from corespond.interop.models import EidoIncident

    # Call.external_id holds 64 characters: a longer id is matched through EidoIncident only.
    external = incident.incident_id if len(incident.incident_id) <= 64 else ""
    imported = (
        system(Call.objects.all(), reason="EIDO: match an imported call")
        .filter(program=program, external_id=external)
        .first()
        if external
        else None
    )
    try:
        if imported is not None:
            call = call_update_from_cad(actor=actor, call_id=imported.pk, **facts)
        else:
            received = incident.received_at
            now = timezone.now()
            if now < received <= now + CLOCK_SKEW:
                received = now
            call = call_create(
                actor=actor, program=program, agency=agency, received_at=received, **facts
            )
            if external:
                call.external_id = external
                call.save(update_fields=["external_id"])
    except ValidationError as exc:
        raise _as_eido_error(exc, incident) from exc
    EidoIncident.objects.create(
        program=program,
        incident_id=incident.incident_id,
        call=call,
        eido_id=incident.eido_id,
        last_update=incident.last_update,
        updated_by_agency=incident.updated_by_agency,
        document=document,
    )
    if imported is not None:
        message = f"Linked to call {call.reference}, imported earlier, and updated."
        return Outcome(UPDATED, message, incident.incident_id, call.pk, call.reference)
    message = f"Call {call.reference} made and triaged."
    return Outcome(CREATED, message, incident.incident_id, call.pk, call.reference)


# Where each call field comes from, for error messages.
SOURCES = {
    "received_at": None,  # filled from the incident (it depends on which stamp was used)
    "call_type": "incidentComponent[0].incidentTypeCommonRegistryText",
    "address": "locationComponent",
    "agency": "updatedByAgencyReference",
}


def _as_eido_error(exc: ValidationError, incident: Incident) -> EidoError:
    if hasattr(exc, "error_dict"):
        name, messages = next(iter(exc.message_dict.items()))
        path = incident.received_at_path if name == "received_at" else SOURCES.get(name, name)
        return EidoError(str(path), " ".join(messages))
    return EidoError("$", " ".join(exc.messages))


# --- sending --------------------------------------------------------------------------------


PERSON_COMPONENTS = ("personComponent", "notesComponent")


def _may_read_identity(user: Any) -> bool:
    from corespond.core.access import roles_of
    from corespond.core.vocab import DataCategory
    from corespond.sharing.policy import ROLE_CATEGORIES

    if user.is_superuser:
        return True
    return any(DataCategory.IDENTITY in ROLE_CATEGORIES.get(r, ()) for r in roles_of(user))


def export(incident_id: str, *, user: Any) -> dict[str, Any]:
    """The incident as EIDO for the CAD: the object as last received, with corespond's
    status, disposition and dispatches written into it (read through the gate)."""
    from corespond.dispatch.models import Assignment
    from corespond.field.models import Encounter
    from corespond.interop.models import EidoIncident

    held = (
        restrict(EidoIncident.objects.all(), user, purpose="EIDO export")
        .select_related("call", "call__program", "call__agency", "call__triage")
        .filter(incident_id=incident_id)
        .order_by("pk")
        .first()
    )
    if held is None:
        raise Http404("No incident with that id, or not yours to see.")
    call: Call = held.call
    assignments = list(
        restrict(Assignment.objects.filter(call_id=call.pk), user, purpose="EIDO export")
        .select_related("team")
        .order_by("assigned_at")
    )
    encounters = list(
        restrict(Encounter.objects.filter(call_id=call.pk), user, purpose="EIDO export")
    )
    document = copy.deepcopy(held.document)
    if not _may_read_identity(user):
        # The incident category travels without the people in it: names, mental state and
        # the call-taker's notes about them are identity data.
        for name in PERSON_COMPONENTS:
            document.pop(name, None)
        incident_refs = document["incidentComponent"][0]
        incident_refs.pop("personReference", None)
    ours = f"agency-corespond-{call.agency.slug}"
    agencies = [a for a in document.get("agencyComponent", []) if a.get("$id") != ours]
    agencies.append(
        {
            "$id": ours,
            "agencyIdentifier": f"urn:corespond:agency:{call.agency.slug}",
            "agencyName": call.agency.name,
        }
    )
    document["agencyComponent"] = agencies
    changed = [held.received_at]
    for a in assignments:
        changed += [t for t in (a.assigned_at, a.cleared_at) if t]
    changed += [e.updated_at for e in encounters if e.updated_at]
    last = max(changed)
    document["$id"] = f"urn:corespond:eido:{call.reference}:{int(last.timestamp())}"
    document["lastUpdateTimeStamp"] = last.isoformat()
    document["updatedByAgencyReference"] = {"$ref": ours}
    document["issuingElementIdentification"] = "corespond"
    document.setdefault("eidoVersion", EIDO_VERSION)
    incident = document["incidentComponent"][0]
    incident["incidentStatusCommonRegistryText"] = [call.get_status_display()]
    dispositions = sorted({e.disposition for e in encounters if e.disposition != "unknown"})
    if dispositions:
        incident["incidentDispositionCommonRegistryText"] = dispositions
    triage = getattr(call, "triage", None)
    if triage is not None:
        incident["incidentPriorityText"] = str(triage.priority)
    dispatches = [
        d
        for d in document.get("dispatchComponent", [])
        if not str(d.get("$id", "")).startswith("dispatch-corespond-")
    ]
    for a in assignments:
        entry: dict[str, Any] = {
            "$id": f"dispatch-corespond-{a.pk}",
            "dispatchedUnitIdentifier": a.team.call_sign,
            "dispatchedUnitTypeText": a.team.get_response_type_display(),
            "dispatchTimeStamp": a.assigned_at.isoformat(),
            "incidentReference": {"$ref": incident["$id"]},
        }
        if a.cleared_at:
            entry["clearedTimeStamp"] = a.cleared_at.isoformat()
        dispatches.append(entry)
    document["dispatchComponent"] = dispatches
    return document
