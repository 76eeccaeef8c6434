"""Reads for care: the follow-up queue, referrals, and the resource directory."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.db.models import Count, Q, QuerySet
from django.utils import timezone

from corespond.care.models import FollowUp, Referral, Resource
from corespond.core.access import programs_for, restrict
from corespond.core.models import Program
from corespond.core.vocab import FollowUpOutcome
from corespond.people.models import Person


def followups_visible(*, user: Any) -> QuerySet[FollowUp]:
    return restrict(
        FollowUp.objects.select_related("person", "encounter__call").annotate(
            attempt_count=Count("attempts")
        ),
        user,
    )


def followup_queue(*, user: Any, state: str = "open") -> QuerySet[FollowUp]:
    """Open follow-ups (due or overdue first) or closed ones (most recent first)."""
    qs = followups_visible(user=user)
    if state == "closed":
        return qs.filter(~Q(outcome=FollowUpOutcome.PENDING)).order_by("-closed_at")
    return qs.filter(outcome=FollowUpOutcome.PENDING).order_by("due_at")


def referrals_visible(*, user: Any) -> QuerySet[Referral]:
    return restrict(Referral.objects.select_related("person", "resource"), user)


def resources_for(*, user: Any, query: str = "") -> QuerySet[Resource]:
    qs = Resource.objects.all()
    if not user.is_superuser:
        qs = qs.filter(program__in=programs_for(user))
    if query:
        qs = qs.filter(
            Q(name__icontains=query)
            | Q(category__icontains=query)
            | Q(organization__icontains=query)
        )
    return qs


@dataclass(frozen=True)
class OutreachCandidate:
    person: Person
    contacts: int
    last_contact: datetime
    open_outreach: FollowUp | None
    reasons: tuple[str, ...] = ()


def outreach_list(
    *, user: Any, program: Program, now: datetime | None = None
) -> list[OutreachCandidate]:
    """People with repeated crisis contacts under the program's rule (default: 3 in 90 days),
    and people a follow-up did not reach after the protocol's attempts (in the same window).

    Computed from the records each time, so a person leaves the list by themselves when
    older contacts fall out of the window.
    """
    from django.db.models import Max

    from corespond.field.models import EncounterPerson

    now = now or timezone.now()
    since = now - timedelta(days=program.outreach_days)
    counted = (
        restrict(
            EncounterPerson.objects.filter(
                encounter__call__program=program, encounter__received_at__gte=since
            ),
            user,
        )
        .values("person_id")
        .annotate(n=Count("encounter_id", distinct=True), last=Max("encounter__received_at"))
    )
    stats = {row["person_id"]: (row["n"], row["last"]) for row in counted}
    reasons: dict[int, list[str]] = {}
    for pid, (n, _) in stats.items():
        if n >= program.outreach_contacts:
            reasons.setdefault(pid, []).append(f"{n} crises in {program.outreach_days} days")
    unreached = restrict(
        FollowUp.objects.filter(
            encounter__call__program=program,
            kind=FollowUp.Kind.FOLLOW_UP,
            outcome=FollowUpOutcome.NOT_REACHED,
            closed_at__gte=since,
        ),
        user,
    ).values_list("person_id", flat=True)
    for pid in unreached:
        if pid is not None and pid in stats:
            reasons.setdefault(pid, []).append("follow-up could not reach them")
    stats = {pid: stats[pid] for pid in reasons}
    if not stats:
        return []
    people = restrict(Person.objects.filter(pk__in=list(stats)), user)
    open_outreach = {
        f.person_id: f
        for f in restrict(
            FollowUp.objects.filter(
                person_id__in=list(stats), kind=FollowUp.Kind.OUTREACH, closed_at__isnull=True
            ),
            user,
        )
    }
    found = [
        OutreachCandidate(
            p, stats[p.pk][0], stats[p.pk][1], open_outreach.get(p.pk), tuple(reasons[p.pk])
        )
        for p in people
    ]
    return sorted(found, key=lambda c: (-c.contacts, -c.last_contact.timestamp()))
