"""Service-level steps of the skeleton journey, shared by tests."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from django.utils import timezone

from corespond.core.access import system
from corespond.dispatch.services import unit_assign
from corespond.field import services as field
from corespond.field.models import Encounter


def make_call(
    world: Any,
    *,
    minutes_ago: int = 5,
    actor: Any = None,
    agency: Any = None,
    received_at: datetime | None = None,
    **facts: Any,
) -> Any:
    """A call entered by alice (or ``actor``) into Riverside, received ``minutes_ago``."""
    from corespond.intake.services import call_create

    defaults: dict[str, Any] = {
        "call_type": "EDP",
        "address": "12 Alder St",
        "behavioral_health": True,
    }
    defaults.update(facts)
    return call_create(
        actor=actor or world.alice,
        program=world.program,
        agency=agency or world.riverton,
        received_at=received_at or timezone.now() - timedelta(minutes=minutes_ago),
        **defaults,
    )


def encounter_of(assignment: Any) -> Encounter:
    return system(Encounter.objects.all(), reason="test").get(assignment=assignment)


def finish_encounter(
    world: Any,
    *,
    given_name: str = "Lee",
    disposition: str = "remained_in_community",
    contact_outcome: str = "engaged",
    team: Any = None,
) -> Encounter:
    """The whole path for one call: entered, assigned, a person met, recorded, completed."""
    call = make_call(world)
    assignment = unit_assign(actor=world.alice, call_id=call.pk, team_id=(team or world.team).pk)
    encounter = encounter_of(assignment)
    field.encounter_person_add(actor=world.clara, encounter_id=encounter.pk, given_name=given_name)
    field.encounter_update(
        actor=world.clara,
        encounter_id=encounter.pk,
        contact_outcome=contact_outcome,
        disposition=disposition,
    )
    return field.encounter_complete(actor=world.clara, encounter_id=encounter.pk)
