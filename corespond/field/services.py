"""Writes for the field encounter: time stamps, the record, and completion."""

from __future__ import annotations

from itertools import pairwise
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from corespond.care.services import followup_create_for_encounter
from corespond.core.access import Action, restrict
from corespond.core.roles import ENCOUNTER_ROLES, require_role
from corespond.core.vocab import ContactOutcome, UnitStatus
from corespond.dispatch.models import Assignment, Team
from corespond.field.models import TIMESTAMP_FIELDS, Encounter, EncounterPerson
from corespond.intake.models import Call
from corespond.people.models import Person

# One-tap stamps on the field page and the team status each implies.
STAMP_STATUS = {
    "en_route_at": UnitStatus.EN_ROUTE,
    "arrived_at": UnitStatus.ON_SCENE,
    "engaged_at": UnitStatus.ON_SCENE,
    "cleared_at": UnitStatus.AVAILABLE,
}

ERR_UNKNOWN_STAMP = "Unknown time stamp {stamp!r}."
ERR_ORDER = "{later} ({later_at}) is before {earlier} ({earlier_at}); check the times."
ERR_OUTCOME_REQUIRED = "Record the contact outcome before completing the encounter."
ERR_ALREADY_COMPLETE = "This encounter is already complete."
ERR_NAME_REQUIRED = "An engaged encounter needs the person's given name."


def _encounter_for_change(actor: Any, encounter_id: int) -> Encounter:
    require_role(actor, ENCOUNTER_ROLES)
    return (
        restrict(Encounter.objects.select_for_update(of=("self",)), actor, action=Action.CHANGE)
        .select_related("call__program", "team", "assignment")
        .get(pk=encounter_id)
    )


def check_timestamp_order(values: dict[str, Any]) -> None:
    """Refuse stamps that go backwards: negative intervals are data-quality errors."""
    present = [(f, values[f]) for f in TIMESTAMP_FIELDS if values.get(f)]
    for (earlier, earlier_at), (later, later_at) in pairwise(present):
        if later_at < earlier_at:
            raise ValidationError(
                ERR_ORDER.format(
                    later=later.removesuffix("_at").replace("_", " "),
                    later_at=f"{timezone.localtime(later_at):%H:%M}",
                    earlier=earlier.removesuffix("_at").replace("_", " "),
                    earlier_at=f"{timezone.localtime(earlier_at):%H:%M}",
                )
            )


@transaction.atomic
def encounter_stamp(*, actor: Any, encounter_id: int, stamp: str) -> Encounter:
    """Set one time stamp to now (first tap wins) and move the team's status with it."""
    if stamp not in STAMP_STATUS:
        raise ValidationError(ERR_UNKNOWN_STAMP.format(stamp=stamp))
    encounter = _encounter_for_change(actor, encounter_id)
    if getattr(encounter, stamp) is None:
        setattr(encounter, stamp, timezone.now())
        encounter.recorded_by = actor
        encounter.save(update_fields=[stamp, "recorded_by", "updated_at"])
    if encounter.team_id and encounter.completed_at is None:
        Team.objects.filter(pk=encounter.team_id).update(
            status=STAMP_STATUS[stamp], status_changed_at=timezone.now()
        )
    return encounter


@transaction.atomic
def encounter_update(*, actor: Any, encounter_id: int, **fields: Any) -> Encounter:
    """Save what the team has recorded so far (outcome, disposition, flags, times)."""
    encounter = _encounter_for_change(actor, encounter_id)
    allowed = {
        "contact_outcome",
        "disposition",
        "disposition_text",
        "involuntary_hold",
        "use_of_force",
        "injury_person",
        "injury_staff",
        "transported_by",
        "service_provided",
        *TIMESTAMP_FIELDS,
    }
    unknown = set(fields) - allowed
    if unknown:
        raise ValidationError(f"Fields not allowed here: {', '.join(sorted(unknown))}")
    for name, value in fields.items():
        setattr(encounter, name, value)
    check_timestamp_order({f: getattr(encounter, f) for f in TIMESTAMP_FIELDS})
    encounter.recorded_by = actor
    encounter.full_clean(exclude=["call", "assignment", "team", "recorded_by"])
    encounter.save()
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
    person.full_clean(exclude=["external_id"])
    person.save()
    EncounterPerson.objects.create(encounter=encounter, person=person, involvement=involvement)
    return person


@transaction.atomic
def encounter_complete(*, actor: Any, encounter_id: int) -> Encounter:
    """Finish the encounter: the team is free again, the call closes, follow-up is created."""
    encounter = _encounter_for_change(actor, encounter_id)
    if encounter.completed_at is not None:
        raise ValidationError(ERR_ALREADY_COMPLETE)
    if encounter.contact_outcome == ContactOutcome.UNKNOWN:
        raise ValidationError({"contact_outcome": ERR_OUTCOME_REQUIRED})
    now = timezone.now()
    if encounter.cleared_at is None:
        encounter.cleared_at = now
    check_timestamp_order({f: getattr(encounter, f) for f in TIMESTAMP_FIELDS})
    encounter.completed_at = now
    encounter.save()
    if encounter.assignment_id:
        Assignment.objects.filter(pk=encounter.assignment_id).update(cleared_at=now)
    if encounter.team_id:
        Team.objects.filter(pk=encounter.team_id).update(
            status=UnitStatus.AVAILABLE, status_changed_at=now
        )
    restrict(Call.objects.filter(pk=encounter.call_id), actor, action=Action.CHANGE).update(
        status=Call.Status.CLOSED, closed_at=now
    )
    followup_create_for_encounter(actor=actor, encounter=encounter, now=now)
    return encounter
