"""Service-level steps of the skeleton journey, shared by tests."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.utils import timezone

from corespond.field.models import Encounter
from corespond.intake.services import call_create


def make_call(world: Any, *, minutes_ago: int = 5, **facts: Any) -> Any:
    defaults: dict[str, Any] = {
        "call_type": "EDP",
        "address": "12 Alder St",
        "behavioral_health": True,
    }
    defaults.update(facts)
    return call_create(
        actor=world.alice,
        program=world.program,
        agency=world.riverton,
        received_at=timezone.now() - timedelta(minutes=minutes_ago),
        **defaults,
    )


def encounter_of(assignment: Any) -> Encounter:
    from corespond.core.access import system

    return system(Encounter.objects.all(), reason="test").get(assignment=assignment)
