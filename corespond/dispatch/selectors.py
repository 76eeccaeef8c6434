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


def board_version(*, user: Any) -> str:
    """A short token that changes whenever the board a user sees would change: a call starts or
    stops waiting, or a team's status or position changes. The live board re-renders then."""
    from django.db.models import Count, Max

    from corespond.intake.models import Call

    waiting = restrict(Call.objects.filter(status=Call.Status.WAITING), user).aggregate(
        n=Count("id"), last=Max("id")
    )
    teams = teams_for(user=user).aggregate(
        changed=Max("status_changed_at"), moved=Max("position_at"), n=Count("id")
    )
    changed, moved = (teams[key].isoformat() if teams[key] else "-" for key in ("changed", "moved"))
    return f"{waiting['n']}.{waiting['last'] or 0}.{teams['n']}.{changed}.{moved}"
