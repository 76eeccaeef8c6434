"""Reads of the person index, through the gate and the sharing policy."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from django.utils import timezone

from corespond.core.access import restrict, system
from corespond.core.vocab import DataCategory
from corespond.people.models import Person, SafetyPlan
from corespond.sharing.models import BreakGlassGrant
from corespond.sharing.policy import Decision, decide


@dataclass
class PersonView:
    """What one user may see of one person: each section with the policy's decision."""

    person: Person
    demographics: Decision
    encounters: list[Any] = field(default_factory=list)
    followups: list[Any] = field(default_factory=list)
    referrals: list[Any] = field(default_factory=list)
    referral_access: Decision | None = None
    plan_access: Decision | None = None
    safety_plan: SafetyPlan | None = None
    grant: BreakGlassGrant | None = None


def person_stub(*, person_id: int) -> Person | None:
    """Whether the person exists, and in which program: what the break-the-glass offer needs.
    Nothing of the record is shown from it."""
    return (
        system(Person.objects.filter(pk=person_id), reason="break-the-glass offer")
        .only("pk", "program_id", "recorded_by_agency_id")
        .first()
    )


def person_view(*, user: Any, person_id: int) -> PersonView:
    """The person's record as ``user`` may see it; raises Person.DoesNotExist if not at all."""
    from corespond.care.models import FollowUp, Referral
    from corespond.field.models import Encounter

    person = restrict(Person.objects.select_related("recorded_by_agency"), user).get(pk=person_id)

    def allowed(category: str) -> Decision:
        return decide(
            user,
            category=category,
            program_id=person.program_id,
            owner_agency_id=person.recorded_by_agency_id,
            person_id=person.pk,
        )

    view = PersonView(person=person, demographics=allowed(DataCategory.DEMOGRAPHICS))
    view.encounters = list(
        restrict(
            Encounter.objects.filter(people=person).select_related("call", "team"), user
        ).order_by("-received_at")[:50]
    )
    view.followups = list(restrict(FollowUp.objects.filter(person=person), user)[:50])
    view.referral_access = allowed(DataCategory.REFERRAL)
    view.referrals = list(
        restrict(Referral.objects.filter(person=person).select_related("resource"), user)[:50]
    )
    view.plan_access = allowed(DataCategory.SAFETY_PLAN)
    if view.plan_access.allowed:
        view.safety_plan = restrict(SafetyPlan.objects.filter(person=person), user).first()
    view.grant = (
        BreakGlassGrant.objects.filter(user=user, person=person, expires_at__gt=timezone.now())
        .order_by("-expires_at")
        .first()
    )
    return view


def safety_plans(*, user: Any, person_id: int) -> list[SafetyPlan]:
    """Every version of the person's plan the user may see, newest first."""
    return list(
        restrict(SafetyPlan.objects.filter(person_id=person_id), user).select_related("created_by")
    )
