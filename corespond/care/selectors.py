"""Reads for care: the follow-up queue, referrals, and the resource directory."""

from __future__ import annotations

from typing import Any

from django.db.models import Count, Q, QuerySet

from corespond.care.models import FollowUp, Referral, Resource
from corespond.core.access import programs_for, restrict
from corespond.core.vocab import FollowUpOutcome


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
