"""FHIR R4 for health partners: a person's records as a Bundle, and referral status updates
sent back as Tasks (the Gravity SDOH closed-loop referral pattern).

Out: ``bundle`` reads one person's records through the access gate as the acting user
(so an officer's bundle holds no screening, no referral and no consent) and returns a
Bundle whose references all resolve to its entries. ``export_task`` gives one referral's
Task. In: ``apply_task_update`` takes a Task a partner changed and moves the referral along
its loop with ``care.services.referral_status_set``, or refuses with a ``TaskUpdateError``
naming the element, and writes nothing.

The resources themselves are built in ``fhir_resources``; docs/fhir.md maps every field.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db.models import Q, QuerySet
from django.http import Http404
from django.utils import timezone
from fhir.resources.R4B.bundle import Bundle
from fhir.resources.R4B.task import Task
from pydantic import ValidationError as PydanticValidationError

from corespond.care.models import Referral
from corespond.care.services import referral_status_set
from corespond.core.access import Action, restrict
from corespond.core.models import Agency, Program
from corespond.core.vocab import ReferralStatus
from corespond.field.models import Encounter, EncounterPerson, Screening
from corespond.interop import fhir_resources as build
from corespond.interop.fhir_resources import SYSTEM_REFERRAL
from corespond.people.models import Person
from corespond.sharing.models import Consent

PURPOSE = "FHIR export"
# Where entries' fullUrls point when the caller names no server base (a view passes its own).
DEFAULT_BASE_URL = "https://corespond.invalid/fhir"
BUNDLE_TYPES = ("collection", "searchset")

# Every status FHIR R4 gives a Task, and the ones corespond records (spec/vocabularies.md).
FHIR_TASK_STATUSES = frozenset(
    {
        "draft",
        "requested",
        "received",
        "accepted",
        "rejected",
        "ready",
        "cancelled",
        "in-progress",
        "on-hold",
        "failed",
        "completed",
        "entered-in-error",
    }
)

ERR_NOT_OBJECT = "must be a JSON object"
ERR_NOT_TASK = "expected 'Task', not {found!r}"
ERR_STATUS_UNKNOWN = "{status!r} is not a Task status"
ERR_STATUS_UNRECORDED = (
    "{status!r} is a Task status corespond does not record; send one of {allowed}"
)
ERR_INTENT = "{intent!r}: a referral's Task has intent 'order'"
ERR_NO_KEY = "name the referral: send the Task's id or its identifier with system " + (
    SYSTEM_REFERRAL
)
ERR_BAD_ID = "{value!r} is not the id of a Task corespond exported (referral-<number>)"
ERR_BAD_IDENTIFIER = "{value!r} is not a referral number"
ERR_ID_MISMATCH = "names referral {identifier} but Task.id names referral {id}"
ERR_UNKNOWN_REFERRAL = "no referral {value!r} that you may change"
ERR_WRONG_TARGET = "{found!r} is not {expected!r}, the {what} of referral {pk}"
ERR_RANGE = "since must come before until"

_REFERRAL_ID = re.compile(r"^referral-([0-9]{1,18})$")
_DIGITS = re.compile(r"^[0-9]{1,18}$")


class TaskUpdateError(ValueError):
    """A Task that cannot be applied: ``path`` names the element (``Task.status``)."""

    def __init__(self, path: str, message: str) -> None:
        super().__init__(f"{path}: {message}")
        self.path = path
        self.message = message


# --- reading --------------------------------------------------------------------------------


def _moment(value: date | datetime | None, program: Program, *, end: bool) -> datetime | None:
    """A bound of the date range as an aware datetime. A date means its whole day in the
    program's time zone, so ``until=<date>`` includes that day."""
    if value is None:
        return None
    if isinstance(value, datetime):
        if timezone.is_naive(value):
            return timezone.make_aware(value, program.tzinfo)
        return value
    day = value + timedelta(days=1) if end else value
    return datetime.combine(day, time.min, tzinfo=program.tzinfo)


def _window(
    qs: QuerySet[Any], stamp: str, since: datetime | None, until: datetime | None
) -> QuerySet[Any]:
    if since is not None:
        qs = qs.filter(**{f"{stamp}__gte": since})
    if until is not None:
        qs = qs.filter(**{f"{stamp}__lt": until})
    return qs


@dataclass
class _Records:
    """What the user may see of one person, read through the gate."""

    person: Person
    encounters: list[Encounter] = field(default_factory=list)
    subject_of: set[int] = field(default_factory=set)
    screenings: list[Screening] = field(default_factory=list)
    referrals: list[Referral] = field(default_factory=list)
    consents: list[Consent] = field(default_factory=list)


def _read(
    user: Any,
    person_id: int,
    since: date | datetime | None,
    until: date | datetime | None,
    only: frozenset[str] | None = None,
) -> _Records:
    person = (
        restrict(Person.objects.filter(pk=person_id), user, purpose=PURPOSE)
        .select_related("program", "recorded_by_agency")
        .first()
    )
    if person is None:
        raise Http404("No person with that id, or not yours to see.")
    start = _moment(since, person.program, end=False)
    end = _moment(until, person.program, end=True)
    if start is not None and end is not None and end <= start:
        raise ValueError(ERR_RANGE)
    records = _Records(person=person)

    def wanted(*kinds: str) -> bool:
        # Only what will be sent is read: every read is audited as a disclosure.
        return only is None or any(kind in only for kind in kinds)

    links = restrict(
        EncounterPerson.objects.filter(person_id=person.pk), user, purpose=PURPOSE
    ).values_list("encounter_id", "involvement")
    involvement = dict(links)
    records.subject_of = {
        pk for pk, how in involvement.items() if how == EncounterPerson.Involvement.SUBJECT
    }
    # Screenings and referrals are the user's to see only where their category allows
    # (an officer's role holds neither): the gate's filter decides, not this module.
    records.screenings = []
    if wanted("QuestionnaireResponse", "Observation"):
        records.screenings = list(
            _window(
                restrict(Screening.objects.filter(person_id=person.pk), user, purpose=PURPOSE),
                "screened_at",
                start,
                end,
            ).order_by("screened_at", "pk")
        )
    records.referrals = []
    if wanted("ServiceRequest", "Task"):
        records.referrals = list(
            _window(
                restrict(Referral.objects.filter(person_id=person.pk), user, purpose=PURPOSE),
                "created_at",
                start,
                end,
            )
            .select_related("resource")
            .order_by("created_at", "pk")
        )
    # The person's own crises in the range, and any encounter a screening or referral in the
    # bundle points at (so that its reference resolves), where the user may see it.
    own = Q(pk__in=records.subject_of)
    if start is not None:
        own &= Q(received_at__gte=start)
    if end is not None:
        own &= Q(received_at__lt=end)
    pointed_at = {s.encounter_id for s in records.screenings} | {
        r.encounter_id for r in records.referrals if r.encounter_id is not None
    }
    if wanted("Encounter"):
        records.encounters = list(
            restrict(Encounter.objects.filter(own | Q(pk__in=pointed_at)), user, purpose=PURPOSE)
            .select_related("call__agency", "call__triage", "team__agency")
            .order_by("received_at", "pk")
        )
    records.consents = _consents(user, person, start, end) if wanted("Consent") else []
    return records


def _consents(
    user: Any, person: Person, start: datetime | None, end: datetime | None
) -> list[Consent]:
    """Consents in force at some time in the range, for those who may manage them: that a
    consent exists tells that the person is in treatment (sharing.selectors)."""
    from corespond.sharing.selectors import consents_of
    from corespond.sharing.services import may_manage_consents

    if not may_manage_consents(user, program_id=person.program_id):
        return []
    found = consents_of(user=user, person_id=person.pk)
    if end is not None:
        found = [c for c in found if c.given_at < end]
    if start is not None:
        found = [c for c in found if _ends_after(c, start)]
    return sorted(found, key=lambda c: (c.given_at, c.pk))


def _ends_after(consent: Consent, moment: datetime) -> bool:
    ends = [t for t in (consent.revoked_at, consent.expires_at) if t is not None]
    return not ends or min(ends) > moment


# --- the bundle -----------------------------------------------------------------------------


def bundle(
    *,
    person_id: int,
    user: Any,
    since: date | datetime | None = None,
    until: date | datetime | None = None,
    kind: str = "collection",
    base_url: str | None = None,
    only: frozenset[str] | None = None,
) -> dict[str, Any]:
    """One person's records as a FHIR R4 Bundle (a JSON-ready dict), as ``user`` may see them.

    ``since`` (inclusive) and ``until`` (exclusive; a date includes its whole day in the
    program's zone) select encounters by ``received_at``, screenings by ``screened_at``,
    referrals by ``created_at``, and consents in force at some time in between. ``kind`` is
    "collection", or "searchset" for a search answer (the person's records are matches, the
    Patient and Organizations are included). ``base_url`` is the FHIR server base the
    entries' fullUrls use (a view passes its own). ``only`` names the resource types wanted
    (the Patient always comes): the others are not read at all, so the audit log and the
    person's accounting of disclosures list only what was sent. Raises Http404 if the user
    may not see the person; ValueError for a range that ends before it starts or an unknown
    kind.
    """
    if kind not in BUNDLE_TYPES:
        raise ValueError(f"kind must be one of {', '.join(BUNDLE_TYPES)}")
    base = (base_url or getattr(settings, "FHIR_BASE_URL", "") or DEFAULT_BASE_URL).rstrip("/")
    records = _read(user, person_id, since, until, only)
    person = records.person
    now = timezone.now()
    shown = {e.pk for e in records.encounters}

    matches: list[dict[str, Any]] = []
    for encounter in records.encounters:
        subject = person.pk if encounter.pk in records.subject_of else None
        matches.append(build.encounter_resource(encounter, subject_pk=subject))
    for screening in records.screenings:
        linked = screening.encounter_id in shown
        matches.append(build.questionnaire_response_resource(screening, with_encounter=linked))
        matches.append(build.risk_observation_resource(screening, with_encounter=linked))
    for referral in records.referrals:
        linked = referral.encounter_id in shown
        matches.append(build.service_request_resource(referral, with_encounter=linked))
        matches.append(build.task_resource(referral, with_encounter=linked))
    matches.extend(build.consent_resource(c, now=now) for c in records.consents)

    included = [build.patient_resource(person), *_organizations(records)]
    entries = [_entry(base, r, "include" if kind == "searchset" else None) for r in included]
    entries += [_entry(base, r, "match" if kind == "searchset" else None) for r in matches]
    document: dict[str, Any] = {
        "resourceType": "Bundle",
        "type": kind,
        "timestamp": now.isoformat(),
        "entry": entries,
    }
    if kind == "searchset":
        document["total"] = len(matches)
    checked: dict[str, Any] = Bundle.model_validate(document).model_dump(mode="json")
    return checked


def _organizations(records: _Records) -> list[dict[str, Any]]:
    """Every Organization the bundle's resources point at, each once."""
    agencies: dict[int, Agency] = {
        records.person.recorded_by_agency_id: records.person.recorded_by_agency
    }
    for encounter in records.encounters:
        agency = encounter.team.agency if encounter.team is not None else encounter.call.agency
        agencies.setdefault(agency.pk, agency)
    recipients = {c.recipient_id: c.recipient for c in records.consents}
    for pk, agency in recipients.items():
        agencies.setdefault(pk, agency)
    found = [build.agency_organization(a) for _, a in sorted(agencies.items())]
    programs = {r.resource.program_id for r in records.referrals}
    found += [
        build.program_organization(p)
        for p in Program.objects.filter(pk__in=programs).order_by("pk")
    ]
    providers = {r.resource_id: r.resource for r in records.referrals}
    found += [build.provider_organization(r) for _, r in sorted(providers.items())]
    return found


def _entry(base: str, resource: dict[str, Any], mode: str | None) -> dict[str, Any]:
    entry: dict[str, Any] = {
        "fullUrl": f"{base}/{resource['resourceType']}/{resource['id']}",
        "resource": resource,
    }
    if mode is not None:
        entry["search"] = {"mode": mode}
    return entry


def unresolved_references(bundle_dict: dict[str, Any]) -> list[str]:
    """Every reference in the bundle that no entry answers, as "<where> -> <reference>".

    Resolution follows FHIR's rules for bundles: an absolute reference must equal an entry's
    fullUrl; a relative one (``Patient/person-3``) is read against the server base of the
    fullUrl of the entry that holds it; ``#id`` names a contained resource.
    """
    entries = bundle_dict.get("entry") or []
    full_urls = {e.get("fullUrl") for e in entries if e.get("fullUrl")}
    by_type_id = {
        (e["resource"].get("resourceType"), e["resource"].get("id"))
        for e in entries
        if isinstance(e.get("resource"), dict)
    }
    missing = []
    for i, entry in enumerate(entries):
        resource = entry.get("resource") or {}
        where = f"{resource.get('resourceType', '?')}/{resource.get('id', i)}"
        contained = {c.get("id") for c in resource.get("contained") or [] if isinstance(c, dict)}
        base = _server_base(entry.get("fullUrl") or "", resource)
        for reference in _references(resource):
            if not _resolves(reference, base, full_urls, by_type_id, contained):
                missing.append(f"{where} -> {reference}")
    return missing


def _server_base(full_url: str, resource: dict[str, Any]) -> str | None:
    tail = f"/{resource.get('resourceType')}/{resource.get('id')}"
    return full_url[: -len(tail)] if full_url.endswith(tail) else None


def _references(value: Any) -> Iterable[str]:
    if isinstance(value, dict):
        reference = value.get("reference")
        if isinstance(reference, str):
            yield reference
        for key, inner in value.items():
            if key != "contained":
                yield from _references(inner)
    elif isinstance(value, list):
        for inner in value:
            yield from _references(inner)


def _resolves(
    reference: str,
    base: str | None,
    full_urls: set[str | None],
    by_type_id: set[tuple[Any, Any]],
    contained: set[Any],
) -> bool:
    if reference.startswith("#"):
        return reference[1:] in contained
    if reference.startswith("urn:") or "://" in reference:
        return reference in full_urls
    parts = reference.split("/")
    if len(parts) not in (2, 4):  # Type/id, or Type/id/_history/version
        return False
    if base is None:
        # An entry without a RESTful fullUrl: only type and id can match.
        return (parts[0], parts[1]) in by_type_id
    return f"{base}/{parts[0]}/{parts[1]}" in full_urls


# --- one referral's Task --------------------------------------------------------------------


def _visible_referral(user: Any, pk: int, *, action: str = Action.VIEW) -> Referral | None:
    return (
        restrict(Referral.objects.filter(pk=pk), user, action=action, purpose=PURPOSE)
        .select_related("resource")
        .first()
    )


def export_task(referral_pk: int, *, user: Any) -> dict[str, Any]:
    """The Task of one referral as ``user`` may see it (Http404 otherwise). Its encounter
    reference is left out when the user may not see that encounter."""
    referral = _visible_referral(user, referral_pk)
    if referral is None:
        raise Http404("No referral with that id, or not yours to see.")
    linked = (
        referral.encounter_id is not None
        and restrict(
            Encounter.objects.filter(pk=referral.encounter_id), user, purpose=PURPOSE
        ).exists()
    )
    return build.task_resource(referral, with_encounter=linked)


# --- Task updates from partners -------------------------------------------------------------


def _path(loc: tuple[Any, ...]) -> str:
    path = "Task"
    for part in loc:
        path += f"[{part}]" if isinstance(part, int) else f".{part}"
    return path.replace(".for_fhir", ".for").replace(".class_fhir", ".class")


def _parse(payload: Any) -> Task:
    if not isinstance(payload, dict):
        raise TaskUpdateError("Task", ERR_NOT_OBJECT)
    found = payload.get("resourceType")
    if found != "Task":
        raise TaskUpdateError("Task.resourceType", ERR_NOT_TASK.format(found=found))
    try:
        return Task.model_validate(payload)
    except PydanticValidationError as exc:
        first = exc.errors()[0]
        message = " ".join(str(first["msg"]).split())
        raise TaskUpdateError(_path(tuple(first["loc"])), message) from exc


def _check_status(status: str) -> None:
    if status not in FHIR_TASK_STATUSES:
        raise TaskUpdateError("Task.status", ERR_STATUS_UNKNOWN.format(status=status))
    if status not in ReferralStatus.values:
        allowed = ", ".join(ReferralStatus.values)
        raise TaskUpdateError(
            "Task.status", ERR_STATUS_UNRECORDED.format(status=status, allowed=allowed)
        )


def _referral_pk(task: Task) -> tuple[int, str, str]:
    """The referral the Task names, with the path and value that named it.

    A partner that keeps its own copy of the Task gives it an id of its own but keeps the
    identifiers it was sent: our identifier names the referral when the id is not one of
    ours, and when both name one they must agree.
    """
    match = _REFERRAL_ID.match(task.id) if task.id is not None else None
    from_id = int(match.group(1)) if match is not None else None
    for i, identifier in enumerate(task.identifier or []):
        if identifier.system != SYSTEM_REFERRAL:
            continue  # the partner's own identifiers
        path = f"Task.identifier[{i}].value"
        value = str(identifier.value or "")
        if not _DIGITS.match(value):
            raise TaskUpdateError(path, ERR_BAD_IDENTIFIER.format(value=value))
        if from_id is not None and int(value) != from_id:
            raise TaskUpdateError(path, ERR_ID_MISMATCH.format(identifier=value, id=from_id))
        if from_id is None:
            return int(value), path, value
    if from_id is not None:
        return from_id, "Task.id", str(task.id)
    if task.id is not None:
        raise TaskUpdateError("Task.id", ERR_BAD_ID.format(value=task.id))
    raise TaskUpdateError("Task.id", ERR_NO_KEY)


def _check_target(path: str, reference: Any, expected: str, what: str, pk: int) -> None:
    """A partner's Task that points elsewhere than the one exported is not this referral's."""
    if reference is None or reference.reference is None:
        return
    found = str(reference.reference).rsplit("/_history/", 1)[0]
    if not (found == expected or found.endswith(f"/{expected}")):
        raise TaskUpdateError(
            path, ERR_WRONG_TARGET.format(found=found, expected=expected, what=what, pk=pk)
        )


def apply_task_update(payload: Any, *, user: Any) -> Referral:
    """Apply a Task a partner sent back: the referral it names takes the Task's status.

    The Task is checked whole with the R4B model first; it names the referral by its id
    (``referral-<pk>``) or by its identifier (system ``urn:corespond:referral``); ``for``
    and ``focus``, when present, must point at the referral's Patient and ServiceRequest.
    The change goes through ``care.services.referral_status_set``, which records who and
    when. The same status again changes nothing. Anything else raises ``TaskUpdateError``
    with the element's path, and nothing is written; a user whose role may not change
    referrals gets PermissionDenied.
    """
    task = _parse(payload)
    status = str(task.status)
    _check_status(status)
    if task.intent != "order":
        raise TaskUpdateError("Task.intent", ERR_INTENT.format(intent=task.intent))
    pk, path, value = _referral_pk(task)
    referral = _visible_referral(user, pk)
    if referral is None:
        raise TaskUpdateError(path, ERR_UNKNOWN_REFERRAL.format(value=value))
    _check_target(
        "Task.for",
        task.for_fhir,
        f"Patient/{build.patient_id(referral.person_id)}",
        "Patient",
        pk,
    )
    _check_target(
        "Task.focus", task.focus, f"ServiceRequest/{build.referral_id(pk)}", "ServiceRequest", pk
    )
    if referral.status == status:
        return referral
    try:
        return referral_status_set(
            actor=user, referral_id=pk, status=status, note=_status_note(task)
        )
    except Referral.DoesNotExist as exc:
        # Visible, but not the user's to change (their agreement gives read only).
        raise TaskUpdateError(path, ERR_UNKNOWN_REFERRAL.format(value=value)) from exc
    except ValidationError as exc:
        current = _visible_referral(user, pk)
        if current is not None and current.status == status:
            return current  # a concurrent copy of the same update got there first
        raise TaskUpdateError("Task.status", " ".join(exc.messages)) from exc


def _status_note(task: Task) -> str:
    """What the partner said about the change, for the referral's history."""
    said = []
    if task.statusReason is not None and task.statusReason.text:
        said.append(str(task.statusReason.text))
    if task.businessStatus is not None and task.businessStatus.text:
        said.append(str(task.businessStatus.text))
    note = "FHIR Task update" + (": " + "; ".join(said) if said else "")
    return note[:300]
