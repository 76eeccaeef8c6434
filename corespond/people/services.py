"""Writes for the person index: safety plans and safety flags."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Max
from django.utils import timezone

from corespond.core.access import Action, audit_event, restrict
from corespond.core.roles import require_role
from corespond.core.vocab import DataCategory, Role, SafetyFlagKind
from corespond.people.models import Person, SafetyFlag, SafetyPlan

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


FLAG_ROLES = frozenset(
    {
        Role.OFFICER,
        Role.CLINICIAN,
        Role.PARAMEDIC,
        Role.PEER,
        Role.DISPATCHER,
        Role.SUPERVISOR,
        Role.CASE_MANAGER,
    }
)
ERR_FLAG_KIND = "Unknown kind of safety flag {kind!r}."
ERR_FLAG_NOTE = "Say what responders need to know (under 300 characters)."
ERR_FLAG_ROLE = "Your role does not record safety flags in this program."


@transaction.atomic
def safety_flag_add(*, actor: Any, person_id: int, kind: str, note: str = "") -> SafetyFlag:
    """Record a fact responders should know; it belongs to the recording agency."""
    from corespond.sharing.policy import authoring_agency

    require_role(actor, FLAG_ROLES)
    if kind not in SafetyFlagKind.values:
        raise ValidationError({"kind": ERR_FLAG_KIND.format(kind=kind)})
    person = restrict(Person.objects.all(), actor).get(pk=person_id)
    require_role(actor, FLAG_ROLES, program_id=person.program_id)
    agency_id = authoring_agency(actor, program_id=person.program_id, category=DataCategory.SAFETY)
    if agency_id is None:
        raise ValidationError(ERR_FLAG_ROLE)
    note = note.strip()
    if len(note) > 300 or (kind == SafetyFlagKind.OTHER and not note):
        raise ValidationError({"note": ERR_FLAG_NOTE})
    flag = SafetyFlag.objects.create(
        person=person,
        agency_id=agency_id,
        kind=kind,
        note=note,
        created_at=timezone.now(),
        created_by=actor,
    )
    audit_event(user=actor, action=Action.CREATE, model=SafetyFlag, ids=[flag.pk], purpose="safety")
    return flag


@transaction.atomic
def safety_flag_retire(*, actor: Any, flag_id: int) -> SafetyFlag:
    """Take a flag out of briefings (it stays on record, with when it was retired)."""
    require_role(actor, FLAG_ROLES)
    flag = restrict(
        SafetyFlag.objects.select_for_update(of=("self",)), actor, action=Action.CHANGE
    ).get(pk=flag_id)
    if flag.retired_at is None:
        flag.retired_at = timezone.now()
        flag.save(update_fields=["retired_at"])
    return flag
