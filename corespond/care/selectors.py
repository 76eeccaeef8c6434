"""Reads for care: the follow-up queue, referrals, and the resource directory."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.db.models import Count, Q, QuerySet
from django.utils import timezone

from corespond.care.models import FollowUp, Referral, ReferralStatusChange, Resource
from corespond.core.access import programs_for, restrict
from corespond.core.models import Program
from corespond.core.vocab import REFERRAL_CLOSING_STATUSES, FollowUpOutcome, ReferralStatus
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


def past_closing_window(programs: QuerySet[Program], now: datetime) -> Q:
    """Referrals older than their program's closing window (``Program.referral_closing_days``):
    the overdue queue and the closed-loop metric both judge by it."""
    q = Q(pk__in=[])
    for program_id, days in programs.values_list("pk", "referral_closing_days"):
        q |= Q(person__program_id=program_id, created_at__lte=now - timedelta(days=days))
    return q


def referral_list(
    *, user: Any, show: str = "open", now: datetime | None = None
) -> QuerySet[Referral]:
    """Referrals by state: ``open`` (loop not closed, oldest first), ``overdue`` (open past
    the program's window), or ``all`` (newest first). Each carries its status history."""
    from django.db.models import Prefetch

    now = now or timezone.now()
    qs = referrals_visible(user=user).prefetch_related(
        Prefetch(
            "history",
            queryset=restrict(ReferralStatusChange.objects.select_related("by"), user),
        )
    )
    if show == "all":
        return qs
    qs = qs.exclude(status__in=[*REFERRAL_CLOSING_STATUSES, ReferralStatus.ENTERED_IN_ERROR])
    if show == "overdue":
        qs = qs.filter(past_closing_window(programs_for(user), now))
    return qs.order_by("created_at", "id")


def overdue_referral_count(*, user: Any, now: datetime | None = None) -> int:
    return referral_list(user=user, show="overdue", now=now).count()


@dataclass(frozen=True)
class ResourceHit:
    resource: Resource
    distance_km: float | None
    open_now: bool | None  # None: the service publishes no weekly hours
    stale: bool  # capacity not confirmed in the last 24 hours


def resource_search(
    *,
    user: Any,
    query: str = "",
    category: str = "",
    near: tuple[float, float] | None = None,
    open_now: bool = False,
    age: int | None = None,
    language: str = "",
    at: datetime | None = None,
) -> list[ResourceHit]:
    """The directory searched by need (words and category), eligibility (age, language),
    open now (weekly hours in the program's time zone) and distance from a point, nearest
    first when a point is given. Inactive and defunct services are left out."""
    from corespond.care.directory import capacity_is_stale, distance_km, is_open

    at = at or timezone.now()
    qs = (
        resources_for(user=user, query=query)
        .filter(status__in=[Resource.Status.ACTIVE, Resource.Status.TEMPORARILY_CLOSED])
        .select_related("program")
        .prefetch_related("schedules")
    )
    if category:
        qs = qs.filter(category=category)
    if age is not None:
        qs = qs.filter(Q(min_age__isnull=True) | Q(min_age__lte=age)).filter(
            Q(max_age__isnull=True) | Q(max_age__gte=age)
        )
    if language:
        qs = qs.filter(languages__icontains=language)
    hits = []
    for resource in qs:
        local = at.astimezone(resource.program.tzinfo)
        now_open = is_open(list(resource.schedules.all()), local)
        if resource.status == Resource.Status.TEMPORARILY_CLOSED:
            now_open = False
        if open_now and not now_open:
            continue
        distance = None
        if near is not None and resource.latitude is not None and resource.longitude is not None:
            distance = distance_km(near[0], near[1], resource.latitude, resource.longitude)
        hits.append(ResourceHit(resource, distance, now_open, capacity_is_stale(resource, at)))
    if near is not None:
        hits.sort(key=lambda h: (h.distance_km is None, h.distance_km or 0.0, h.resource.name))
    return hits


def resource_categories(*, user: Any) -> list[str]:
    return sorted(set(resources_for(user=user).values_list("category", flat=True)))


def resources_for(*, user: Any, query: str = "") -> QuerySet[Resource]:
    qs = Resource.objects.all()
    if not user.is_superuser:
        qs = qs.filter(program__in=programs_for(user))
    if query:
        qs = qs.filter(
            Q(name__icontains=query)
            | Q(category__icontains=query)
            | Q(organization__icontains=query)
            | Q(description__icontains=query)
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
            # Crises are the person's own: calls they made for someone else do not count.
            EncounterPerson.objects.filter(
                encounter__call__program=program,
                encounter__received_at__gte=since,
                involvement=EncounterPerson.Involvement.SUBJECT,
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
