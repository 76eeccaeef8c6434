"""Reads of the person index, through the gate and the sharing policy."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from django.utils import timezone

from corespond.core.access import restrict, system
from corespond.core.vocab import DataCategory
from corespond.people.models import Person, SafetyFlag, SafetyPlan
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


SEARCH_LIMIT = 10


def person_search(
    *, user: Any, program_id: int, query: str, birth_date: date | None = None
) -> list[Person]:
    """People of the program the user may see whose names hold every word of ``query``
    (given or family name, any case), narrowed by date of birth when given: the "find"
    half of find-or-create, so a known person is linked rather than recorded twice."""
    from django.db.models import Q

    words = [w for w in query.split() if w][:4]
    if not words and birth_date is None:
        return []
    qs = restrict(Person.objects.filter(program_id=program_id), user, purpose="person search")
    for word in words:
        qs = qs.filter(Q(given_name__icontains=word) | Q(family_name__icontains=word))
    if birth_date is not None:
        qs = qs.filter(birth_date=birth_date)
    return list(qs[:SEARCH_LIMIT])


@dataclass
class Briefing:
    """What responders should know about one person before and on arrival, limited to what
    the sharing policy shows them: flags, prior contacts, and whether a safety plan exists."""

    person: Person
    flags: list[SafetyFlag]
    prior_contacts: int
    last_contact: datetime | None
    plan_version: int | None
    plan_shared: bool


def safety_briefing(
    *, user: Any, person_ids: list[int], exclude_encounter: int | None = None
) -> list[Briefing]:
    """A briefing per person (in the order given) for the people the user may see."""
    from django.db.models import Count, Max

    from corespond.field.models import EncounterPerson

    people = {
        p.pk: p
        for p in restrict(Person.objects.filter(pk__in=person_ids), user, purpose="briefing")
    }
    flags: dict[int, list[SafetyFlag]] = {}
    for flag in restrict(
        SafetyFlag.objects.filter(person_id__in=list(people), retired_at__isnull=True), user
    ):
        flags.setdefault(flag.person_id, []).append(flag)
    contacts = restrict(EncounterPerson.objects.filter(person_id__in=list(people)), user)
    if exclude_encounter is not None:
        contacts = contacts.exclude(encounter_id=exclude_encounter)
    counts = {
        row["person_id"]: (row["n"], row["last"])
        for row in contacts.values("person_id")
        .annotate(n=Count("encounter_id", distinct=True), last=Max("encounter__received_at"))
        .order_by()
    }
    out = []
    for pid in person_ids:
        if pid not in people:
            continue
        person = people[pid]
        shared = decide(
            user,
            category=DataCategory.SAFETY_PLAN,
            program_id=person.program_id,
            owner_agency_id=person.recorded_by_agency_id,
            person_id=pid,
        ).allowed
        plan = (
            restrict(SafetyPlan.objects.filter(person_id=pid), user).only("version").first()
            if shared
            else None
        )
        n, last = counts.get(pid, (0, None))
        out.append(
            Briefing(person, flags.get(pid, []), n, last, plan.version if plan else None, shared)
        )
    return out
