"""Writes for the field encounter: time stamps, the record, and completion."""

from __future__ import annotations

from datetime import datetime
from itertools import pairwise
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from corespond.care.services import followup_create_for_encounter
from corespond.core.access import Action, audit_event, restrict
from corespond.core.roles import ENCOUNTER_ROLES, require_role
from corespond.core.vocab import ContactOutcome, DataCategory, Role, UnitStatus
from corespond.core.vocab import Intervention as InterventionKind
from corespond.dispatch.models import Assignment, Team
from corespond.dispatch.selectors import is_co_response
from corespond.dispatch.services import status_when_free
from corespond.field import cssrs
from corespond.field.models import (
    STAMP_ORDER,
    ClinicalNote,
    Encounter,
    EncounterDraft,
    EncounterPerson,
    Intervention,
    Part2Note,
    Screening,
)
from corespond.intake.models import Call
from corespond.people.models import Person

# One-tap stamps on the field page and the team status each implies. "Cleared" frees the
# team at once; the record itself may be completed afterwards (paperwork after leaving).
STAMP_STATUS = {
    "en_route_at": UnitStatus.EN_ROUTE,
    "arrived_at": UnitStatus.ON_SCENE,
    "engaged_at": UnitStatus.ON_SCENE,
    "transport_started_at": UnitStatus.TRANSPORTING,
    "destination_arrived_at": UnitStatus.AT_DESTINATION,
    "cleared_at": UnitStatus.AVAILABLE,
}
# A stamp that moves no team status: the officer of a co-response team leaving the scene
# while the clinician stays. It lies between arrival and the team's clearance.
OFFICER_CLEARED = "officer_cleared_at"
ERR_OFFICER_CLEARED = "The officer can only clear after the team arrived and before it cleared."
ERR_NOT_CO_RESPONSE = (
    "Only a co-response team (an officer and a clinician) has an officer to clear."
)
# What the team may correct by hand. Received and dispatched belong to intake and dispatch.
TEAM_TIMESTAMP_FIELDS = tuple(STAMP_STATUS)
RECORD_FIELDS = frozenset(
    {
        "contact_outcome",
        "disposition",
        "disposition_text",
        "involuntary_hold",
        "use_of_force",
        "injury_person",
        "injury_staff",
        "transported_by",
        "service_provided",
        *TEAM_TIMESTAMP_FIELDS,
    }
)

ERR_UNKNOWN_STAMP = "Unknown time stamp {stamp!r}."
ERR_ORDER = "{later} ({later_at}) is before {earlier} ({earlier_at}); check the times."
ERR_OUTCOME_REQUIRED = "Record the contact outcome before completing the encounter."
ERR_ALREADY_COMPLETE = "This encounter is already complete; it can no longer be changed."
ERR_NAME_REQUIRED = "An engaged encounter needs the person's given name."
ERR_FIELDS = "Fields not allowed here: {fields}"
ERR_FUTURE_STAMP = "{stamp} cannot be in the future."
ERR_POSITION = "The position must be a latitude from -90 to 90 and a longitude from -180 to 180."


def _encounter_for_change(actor: Any, encounter_id: int) -> Encounter:
    """The encounter, locked, if the actor's role and program allow changing it."""
    require_role(actor, ENCOUNTER_ROLES)
    encounter = (
        restrict(Encounter.objects.select_for_update(of=("self",)), actor, action=Action.CHANGE)
        .select_related("call__program", "team", "assignment")
        .get(pk=encounter_id)
    )
    require_role(actor, ENCOUNTER_ROLES, program_id=encounter.call.program_id)
    if encounter.completed_at is not None:
        raise ValidationError(ERR_ALREADY_COMPLETE)
    return encounter


def _label(field: str) -> str:
    return field.removesuffix("_at").replace("_", " ")


def check_timestamp_order(values: dict[str, Any]) -> None:
    """Refuse stamps that go backwards: negative intervals are data-quality errors."""
    officer = values.get(OFFICER_CLEARED)
    if officer is not None:
        arrived, cleared = values.get("arrived_at"), values.get("cleared_at")
        if arrived is None or officer < arrived or (cleared is not None and officer > cleared):
            raise ValidationError(ERR_OFFICER_CLEARED)
    present = [(f, values[f]) for f in STAMP_ORDER if values.get(f)]
    for (earlier, earlier_at), (later, later_at) in pairwise(present):
        if later_at < earlier_at:
            raise ValidationError(
                ERR_ORDER.format(
                    later=_label(later),
                    later_at=f"{timezone.localtime(later_at):%H:%M}",
                    earlier=_label(earlier),
                    earlier_at=f"{timezone.localtime(earlier_at):%H:%M}",
                )
            )


def _stamps(encounter: Encounter) -> dict[str, Any]:
    return {f: getattr(encounter, f) for f in (*STAMP_ORDER, OFFICER_CLEARED)}


def _set_team_status(
    actor: Any,
    encounter: Encounter,
    status: str,
    now: datetime,
    position: tuple[float, float] | None = None,
) -> None:
    """Move the team's live status (and last-known position), but only while this encounter's
    assignment is still the team's open one: once cleared, the team may already be on its
    next call. Clearing returns the team to what its roster says (available, or off shift)."""
    if encounter.assignment_id is None or encounter.team_id is None:
        return
    still_open = restrict(
        Assignment.objects.filter(pk=encounter.assignment_id, cleared_at__isnull=True), actor
    ).exists()
    if not still_open:
        return
    team = Team.objects.select_for_update().get(pk=encounter.team_id)
    team.status = status_when_free(team, now) if status == UnitStatus.AVAILABLE else status
    team.status_changed_at = now
    if position is not None:
        team.last_latitude, team.last_longitude = position
        team.position_at = now
    team.save(
        update_fields=[
            "status",
            "status_changed_at",
            "last_latitude",
            "last_longitude",
            "position_at",
        ]
    )
    if status == UnitStatus.AVAILABLE:
        restrict(
            Assignment.objects.filter(pk=encounter.assignment_id), actor, action=Action.CHANGE
        ).update(cleared_at=now)


def _checked_position(position: tuple[Any, Any] | None) -> tuple[float, float] | None:
    if position is None:
        return None
    try:
        lat, lon = float(position[0]), float(position[1])
    except (TypeError, ValueError) as exc:
        raise ValidationError(ERR_POSITION) from exc
    if not (-90 <= lat <= 90 and -180 <= lon <= 180):
        raise ValidationError(ERR_POSITION)
    return lat, lon


@transaction.atomic
def encounter_stamp(
    *,
    actor: Any,
    encounter_id: int,
    stamp: str,
    position: tuple[Any, Any] | None = None,
) -> Encounter:
    """Set one time stamp to now (first tap wins) and move the team's status with it.

    ``position`` is where the phone says the team is, when the responder allowed location
    sharing. Without it, arriving on scene puts the team at the call's location, which is
    where it is, so the board and the next recommendation see the team move.
    """
    if stamp not in STAMP_STATUS and stamp != OFFICER_CLEARED:
        raise ValidationError(ERR_UNKNOWN_STAMP.format(stamp=stamp))
    where = _checked_position(position)
    encounter = _encounter_for_change(actor, encounter_id)
    if stamp == OFFICER_CLEARED and not is_co_response(encounter.team_id):
        raise ValidationError(ERR_NOT_CO_RESPONSE)
    if getattr(encounter, stamp) is not None:
        # A second tap (the partner's phone, a double tap) changes nothing, status included:
        # re-tapping "en route" after "arrived" must not move the team backwards.
        return encounter
    now = timezone.now()
    setattr(encounter, stamp, now)
    check_timestamp_order(_stamps(encounter))
    encounter.recorded_by = actor
    encounter.save(update_fields=[stamp, "recorded_by", "updated_at"])
    call = encounter.call
    if where is None and stamp == "arrived_at" and call.latitude is not None:
        where = (call.latitude, call.longitude)  # type: ignore[assignment]
    if stamp in STAMP_STATUS:
        _set_team_status(actor, encounter, STAMP_STATUS[stamp], now, where)
    return encounter


@transaction.atomic
def encounter_update(*, actor: Any, encounter_id: int, **fields: Any) -> Encounter:
    """Save what the team has recorded so far (outcome, disposition, flags, times)."""
    unknown = set(fields) - RECORD_FIELDS
    if unknown:
        raise ValidationError(ERR_FIELDS.format(fields=", ".join(sorted(unknown))))
    now = timezone.now()
    for name in TEAM_TIMESTAMP_FIELDS:
        if fields.get(name) is not None and fields[name] > now:
            raise ValidationError({name: ERR_FUTURE_STAMP.format(stamp=_label(name).capitalize())})
    encounter = _encounter_for_change(actor, encounter_id)
    newly_cleared = encounter.cleared_at is None and fields.get("cleared_at") is not None
    for name, value in fields.items():
        setattr(encounter, name, value)
    check_timestamp_order(_stamps(encounter))
    encounter.recorded_by = actor
    encounter.full_clean(exclude=["call", "assignment", "team", "recorded_by"])
    encounter.save()
    if newly_cleared:
        _set_team_status(actor, encounter, UnitStatus.AVAILABLE, now)
    return encounter


@transaction.atomic
def encounter_person_add(
    *,
    actor: Any,
    encounter_id: int,
    given_name: str,
    family_name: str = "",
    birth_date: Any = None,
    involvement: str = EncounterPerson.Involvement.SUBJECT,
) -> Person:
    """Record a person met on scene. Linking to earlier records is the person index's job."""
    encounter = _encounter_for_change(actor, encounter_id)
    if not given_name.strip():
        raise ValidationError({"given_name": ERR_NAME_REQUIRED})
    person = Person(
        program=encounter.call.program,
        recorded_by_agency=encounter.call.agency,
        given_name=given_name.strip(),
        family_name=family_name.strip(),
        birth_date=birth_date,
    )
    person.full_clean()
    person.save()
    link = EncounterPerson(encounter=encounter, person=person, involvement=involvement)
    link.full_clean()
    link.save()
    audit_event(user=actor, action=Action.CREATE, model=Person, ids=[person.pk], purpose="field")
    return person


ERR_ALREADY_LINKED = "{person} is already recorded in this encounter."
ERR_OTHER_PROGRAM = "That person belongs to another program's records."


@transaction.atomic
def encounter_person_link(
    *,
    actor: Any,
    encounter_id: int,
    person_id: int,
    involvement: str = EncounterPerson.Involvement.SUBJECT,
) -> EncounterPerson:
    """Link someone the program already knows (found by people.selectors.person_search)
    instead of creating a second record: their safety briefing then follows them here."""
    encounter = _encounter_for_change(actor, encounter_id)
    person = restrict(Person.objects.all(), actor).get(pk=person_id)
    if person.program_id != encounter.call.program_id:
        raise ValidationError({"person": ERR_OTHER_PROGRAM})
    exists = restrict(
        EncounterPerson.objects.filter(encounter=encounter, person=person), actor
    ).exists()
    if exists:
        raise ValidationError({"person": ERR_ALREADY_LINKED.format(person=person)})
    link = EncounterPerson(encounter=encounter, person=person, involvement=involvement)
    link.full_clean()
    link.save()
    audit_event(
        user=actor, action=Action.CREATE, model=EncounterPerson, ids=[link.pk], purpose="field"
    )
    return link


ERR_INTERVENTION = "Unknown intervention {kind!r}."


@transaction.atomic
def intervention_set(*, actor: Any, encounter_id: int, kind: str, given: bool) -> Encounter:
    """Record (or take back) one kind of help given on scene. Idempotent both ways."""
    if kind not in InterventionKind.values:
        raise ValidationError({"kind": ERR_INTERVENTION.format(kind=kind)})
    encounter = _encounter_for_change(actor, encounter_id)
    existing = restrict(
        Intervention.objects.filter(encounter=encounter, kind=kind), actor, action=Action.CHANGE
    )
    if given and not existing.exists():
        item = Intervention.objects.create(
            encounter=encounter, kind=kind, recorded_at=timezone.now(), recorded_by=actor
        )
        audit_event(
            user=actor, action=Action.CREATE, model=Intervention, ids=[item.pk], purpose="field"
        )
    elif not given:
        existing.delete()
    return encounter


NOTE_MAX = 8000
ERR_NOTE_EMPTY = "Write the note first."
ERR_NOTE_LONG = "Keep a note under 8,000 characters; add a second note for more."
ERR_NOTE_ROLE = "Your role does not write {kind} in this program."
NOTE_KINDS = {
    DataCategory.CLINICAL_NOTE: "clinical notes",
    DataCategory.SUD_PART2: "Part 2 (substance-use treatment) notes",
}
ERR_NOTE_AMENDS = "An addendum must amend a note of the same encounter and kind."


@transaction.atomic
def note_add(
    *,
    actor: Any,
    encounter_id: int,
    text: str,
    person_id: int | None = None,
    part2: bool = False,
    amends_id: int | None = None,
) -> ClinicalNote | Part2Note:
    """Write a clinical note (or, from a substance-use treatment program, a Part 2 note).

    The note belongs to the author's agency in the program, whose role must hold the
    category; it may be written after the encounter is complete (notes often are), and is
    never changed afterwards: corrections are addenda.
    """
    require_role(actor, ENCOUNTER_ROLES | {Role.CASE_MANAGER})
    encounter = restrict(Encounter.objects.select_related("call"), actor).get(pk=encounter_id)
    model: type[ClinicalNote] | type[Part2Note] = Part2Note if part2 else ClinicalNote
    category = DataCategory.SUD_PART2 if part2 else DataCategory.CLINICAL_NOTE
    from corespond.sharing.policy import authoring_agency

    agency_id = authoring_agency(actor, program_id=encounter.call.program_id, category=category)
    if agency_id is None:
        raise ValidationError(ERR_NOTE_ROLE.format(kind=NOTE_KINDS[category]))
    text = text.strip()
    if not text:
        raise ValidationError({"text": ERR_NOTE_EMPTY})
    if len(text) > NOTE_MAX:
        raise ValidationError({"text": ERR_NOTE_LONG})
    _require_person_in(actor, encounter, person_id)
    if amends_id is not None:
        amended = restrict(model.objects.filter(pk=amends_id, encounter=encounter), actor)
        if not amended.exists():
            raise ValidationError({"amends": ERR_NOTE_AMENDS})
    note = model.objects.create(
        encounter=encounter,
        person_id=person_id,
        author=actor,
        author_agency_id=agency_id,
        text=text,
        written_at=timezone.now(),
        amends_id=amends_id,
    )
    audit_event(user=actor, action=Action.CREATE, model=model, ids=[note.pk], purpose="care")
    return note


@transaction.atomic
def encounter_complete(*, actor: Any, encounter_id: int) -> Encounter:
    """Finish the record: the team is freed (if not already), the call closes, and the
    follow-ups the program's rule asks for are created. A complete record is final."""
    encounter = _encounter_for_change(actor, encounter_id)
    if encounter.contact_outcome == ContactOutcome.UNKNOWN:
        raise ValidationError({"contact_outcome": ERR_OUTCOME_REQUIRED})
    now = timezone.now()
    if encounter.cleared_at is None:
        encounter.cleared_at = now
    check_timestamp_order(_stamps(encounter))
    encounter.completed_at = now
    encounter.save()
    _set_team_status(actor, encounter, UnitStatus.AVAILABLE, now)
    restrict(Call.objects.filter(pk=encounter.call_id), actor, action=Action.CHANGE).update(
        status=Call.Status.CLOSED, closed_at=now
    )
    followup_create_for_encounter(actor=actor, encounter=encounter, now=now)
    return encounter


ERR_SCREEN_PERSON = "That person is not recorded in this encounter."


def _require_person_in(actor: Any, encounter: Encounter, person_id: int | None) -> None:
    """A screen or note about a person must be about someone recorded in the encounter."""
    if person_id is None:
        return
    in_encounter = restrict(
        EncounterPerson.objects.filter(encounter=encounter, person_id=person_id), actor
    ).exists()
    if not in_encounter:
        raise ValidationError({"person": ERR_SCREEN_PERSON})


SCREENING_ROLES = frozenset({Role.CLINICIAN, Role.PARAMEDIC, Role.PEER, Role.SUPERVISOR})


@transaction.atomic
def screening_record(
    *,
    actor: Any,
    encounter_id: int,
    answers: dict[str, bool | None],
    person_id: int | None = None,
) -> Screening:
    """Record a C-SSRS screen with the risk level its answers give (field/cssrs.py).

    Only roles that hold screening data give it (clinicians, paramedics, peers); the answers
    must follow the skip logic, or nothing is written and the item is named.
    """
    require_role(actor, SCREENING_ROLES)
    encounter = _encounter_for_change(actor, encounter_id)
    require_role(actor, SCREENING_ROLES, program_id=encounter.call.program_id)
    try:
        result = cssrs.score(answers)
    except cssrs.ScreeningError as exc:
        raise ValidationError(str(exc)) from exc
    _require_person_in(actor, encounter, person_id)
    screening = Screening.objects.create(
        encounter=encounter,
        person_id=person_id,
        risk_level=result.risk_level,
        screened_at=timezone.now(),
        screened_by=actor,
        **result.answers,
    )
    audit_event(
        user=actor, action=Action.CREATE, model=Screening, ids=[screening.pk], purpose="field"
    )
    return screening


class EditConflict(ValidationError):
    """Someone else changed a field this user also changed since the page was loaded."""

    def __init__(self, conflicts: dict[str, tuple[str, str]], by: str, at: datetime) -> None:
        self.conflicts, self.by, self.at = conflicts, by, at
        fields = ", ".join(_label(f).replace("_", " ") for f in conflicts)
        super().__init__(
            ERR_CONFLICT.format(by=by, at=f"{timezone.localtime(at):%H:%M}", fields=fields)
        )


ERR_CONFLICT = (
    "{by} saved this record at {at} while you were editing, and changed {fields} too. Their "
    "values are shown beside yours below: check them, then save again."
)


def _as_text(value: Any) -> str:
    return "" if value is None else str(value)


@transaction.atomic
def encounter_update_merged(
    *, actor: Any, encounter_id: int, original: dict[str, str], **fields: Any
) -> Encounter:
    """Save only what this user changed since loading the page (``original``: the values the
    page showed, as text), so two team members editing different fields both keep their work;
    where both changed the same field differently, refuse with EditConflict and save nothing.
    """
    encounter = _encounter_for_change(actor, encounter_id)
    changed = {
        name: value
        for name, value in fields.items()
        if name in original and _as_text(value) != original[name]
    }
    conflicts = {}
    for name, value in changed.items():
        current = _as_text(getattr(encounter, name))
        if current != original[name] and current != _as_text(value):
            conflicts[name] = (_as_text(value), current)
    if conflicts:
        by = str(encounter.recorded_by) if encounter.recorded_by else "Someone"
        raise EditConflict(conflicts, by, encounter.updated_at)
    if not changed:
        return encounter
    return encounter_update(actor=actor, encounter_id=encounter_id, **changed)


ERR_DRAFT = "A draft holds the record's fields as text (at most 2,000 characters each)."


@transaction.atomic
def draft_save(*, actor: Any, encounter_id: int, values: dict[str, Any]) -> EncounterDraft:
    """Keep what the user has typed so far (the record's own fields only, as text)."""
    from corespond.field.forms import EncounterForm

    encounter = _encounter_for_change(actor, encounter_id)
    if not isinstance(values, dict) or any(
        not isinstance(v, str) or len(v) > 2000 for v in values.values()
    ):
        raise ValidationError(ERR_DRAFT)
    kept = {k: v for k, v in values.items() if k in EncounterForm.RECORD}
    draft = restrict(
        EncounterDraft.objects.filter(encounter=encounter, user=actor), actor, action=Action.CHANGE
    ).first()
    if draft is None:
        draft = EncounterDraft(encounter=encounter, user=actor)
    draft.values, draft.saved_at = kept, timezone.now()
    draft.save()
    return draft


def draft_discard(*, actor: Any, encounter_id: int) -> None:
    restrict(
        EncounterDraft.objects.filter(encounter_id=encounter_id, user=actor),
        actor,
        action=Action.CHANGE,
    ).delete()


REVIEW_ROLES = frozenset({Role.SUPERVISOR})
ERR_NOT_CRITICAL = "Only critical incidents (hold, use of force, injury) go through review."
ERR_REVIEW_NOTE = "Write what the review found (a sentence at least)."


@transaction.atomic
def critical_review(*, actor: Any, encounter_id: int, note: str) -> Encounter:
    """A supervisor closes the review of a critical incident with a note."""
    require_role(actor, REVIEW_ROLES)
    encounter = (
        restrict(Encounter.objects.select_for_update(of=("self",)), actor, action=Action.CHANGE)
        .select_related("call")
        .get(pk=encounter_id)
    )
    require_role(actor, REVIEW_ROLES, program_id=encounter.call.program_id)
    if not encounter.is_critical_incident:
        raise ValidationError(ERR_NOT_CRITICAL)
    if len(note.strip()) < 10:
        raise ValidationError({"note": ERR_REVIEW_NOTE})
    encounter.critical_reviewed_at = timezone.now()
    encounter.critical_reviewed_by = actor
    encounter.critical_review_note = note.strip()[:500]
    encounter.save(
        update_fields=["critical_reviewed_at", "critical_reviewed_by", "critical_review_note"]
    )
    return encounter
