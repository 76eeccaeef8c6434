"""Reads for dispatch. Teams are not person-level data; the calls they carry are."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet

from corespond.core.access import programs_for, restrict
from corespond.dispatch.models import Assignment, Team


def teams_for(*, user: Any) -> QuerySet[Team]:
    qs = Team.objects.select_related("program", "agency").prefetch_related("members__user")
    if user.is_superuser:
        return qs
    return qs.filter(program__in=programs_for(user))


def teams_free_for(*, user: Any, program_id: int) -> QuerySet[Team]:
    return teams_for(user=user).filter(program_id=program_id, status="available")


def open_assignment_for_member(*, user: Any) -> Assignment | None:
    """The assignment the user's team is working now, if any."""
    return (
        restrict(Assignment.objects.filter(team__members__user=user, cleared_at__isnull=True), user)
        .select_related("team")
        .first()
    )
