"""Writes for the person index: safety plans."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Max
from django.utils import timezone

from corespond.core.access import Action, audit_event, restrict
from corespond.core.roles import require_role
from corespond.core.vocab import Role
from corespond.people.models import Person, SafetyPlan

PLAN_ROLES = frozenset({Role.CLINICIAN, Role.CASE_MANAGER, Role.PEER})
ERR_EMPTY_PLAN = "A safety plan needs at least the warning signs and one person or agency to call."
ERR_SECTION_LENGTH = "Keep each section under 4,000 characters."


@transaction.atomic
def safety_plan_save(*, actor: Any, person_id: int, **sections: str) -> SafetyPlan:
    """Store the plan as worked out with the person: always a new version."""
    require_role(actor, PLAN_ROLES)
    person = restrict(Person.objects.select_for_update(), actor, action=Action.CHANGE).get(
        pk=person_id
    )
    require_role(actor, PLAN_ROLES, program_id=person.program_id)
    names = {name for name, _ in SafetyPlan.SECTIONS}
    unknown = set(sections) - names
    if unknown:
        raise ValidationError(f"Unknown sections: {', '.join(sorted(unknown))}")
    text = {name: (sections.get(name) or "").strip() for name in names}
    if any(len(v) > 4000 for v in text.values()):
        raise ValidationError(ERR_SECTION_LENGTH)
    if not text["warning_signs"] or not (text["people_to_ask"] or text["professionals"]):
        raise ValidationError(ERR_EMPTY_PLAN)
    latest = restrict(SafetyPlan.objects.filter(person=person), actor).aggregate(v=Max("version"))
    plan = SafetyPlan.objects.create(
        person=person,
        version=(latest["v"] or 0) + 1,
        created_at=timezone.now(),
        created_by=actor,
        **text,
    )
    audit_event(user=actor, action=Action.CREATE, model=SafetyPlan, ids=[plan.pk], purpose="care")
    return plan
