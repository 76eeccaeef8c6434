"""Writes for dispatch: assign a team to a call, change a team's status, apply the roster."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from corespond.core.access import Action, restrict
from corespond.core.roles import DISPATCH_ROLES, require_role
from corespond.core.vocab import UnitStatus
from corespond.dispatch.models import Assignment, Shift, Team
from corespond.dispatch.recommend import options_for, recommended
from corespond.field.models import Encounter
from corespond.intake.models import Call

ERR_TEAM_BUSY = "{team} is not available (status: {status}); choose another team."
ERR_CALL_TAKEN = "Call {call} already has a team or is closed."
ERR_OTHER_PROGRAM = "That team belongs to another program."
ERR_TEAM_TAKEN = "That team was assigned elsewhere a moment ago; choose another team."
ERR_OVERRIDE_REASON = (
    "{recommended} is recommended for this call; say why you send {chosen} instead."
)


class AssignmentRefused(ValidationError):
    """The assignment cannot be made; the message says why, for the dispatcher."""


def unit_assign(*, actor: Any, call_id: int, team_id: int, override_reason: str = "") -> Assignment:
    """Send a free team to a waiting call, and open the encounter the team will record.

    The race this prevents: two dispatchers press "assign" for the same team (or the same call)
    at the same moment. The team row and the call row are locked with SELECT ... FOR UPDATE
    inside one transaction, so the second dispatcher waits, then re-reads the status and is
    refused with the reason. SQLite has no row locks; there the IMMEDIATE transaction mode
    (settings) takes the write lock at BEGIN, which serialises the two just the same. The
    partial unique index ``one_open_assignment_per_team`` is the last line of defence.
    """
    require_role(actor, DISPATCH_ROLES)
    now = timezone.now()
    try:
        with transaction.atomic():
            # Call first: someone who may not see the call learns nothing about the team.
            # Every path locks call, then team, so two assignments cannot deadlock.
            call = (
                restrict(Call.objects.select_for_update(of=("self",)), actor, action=Action.CHANGE)
                .select_related("triage")
                .get(pk=call_id)
            )
            require_role(actor, DISPATCH_ROLES, program_id=call.program_id)
            team = Team.objects.select_for_update().get(pk=team_id)
            if team.program_id != call.program_id:
                raise AssignmentRefused(ERR_OTHER_PROGRAM)
            if team.status != UnitStatus.AVAILABLE:
                raise AssignmentRefused(
                    ERR_TEAM_BUSY.format(team=team.call_sign, status=team.get_status_display())
                )
            if call.status != Call.Status.WAITING:
                raise AssignmentRefused(ERR_CALL_TAKEN.format(call=call.reference))
            # A dispatcher may send another team than the recommended one, with a reason.
            free = Team.objects.filter(program_id=call.program_id, status=UnitStatus.AVAILABLE)
            best = recommended(options_for(call, call.triage.response_type, free))
            if best is not None and best.team.pk != team.pk and not override_reason.strip():
                raise AssignmentRefused(
                    ERR_OVERRIDE_REASON.format(
                        recommended=best.team.call_sign, chosen=team.call_sign
                    )
                )
            assignment = Assignment.objects.create(
                call=call,
                team=team,
                assigned_at=now,
                assigned_by=actor,
                override_reason=override_reason,
            )
            team.status = UnitStatus.DISPATCHED
            team.status_changed_at = now
            team.save(update_fields=["status", "status_changed_at"])
            call.status = Call.Status.ASSIGNED
            call.save(update_fields=["status"])
            Encounter.objects.create(
                call=call,
                assignment=assignment,
                team=team,
                received_at=call.received_at,
                dispatched_at=now,
            )
    except IntegrityError as exc:
        # Only reachable if the row locks above were bypassed (they are the real guard).
        raise AssignmentRefused(ERR_TEAM_TAKEN) from exc
    return assignment


@transaction.atomic
def team_status_set(*, actor: Any, team_id: int, status: str) -> Team:
    """Set a team's live status by hand (out of service, off shift...): a dispatcher of the
    team's program, or one of the team's own members."""
    if status not in UnitStatus.values:
        raise ValidationError({"status": f"Unknown unit status {status!r}."})
    team = Team.objects.select_for_update().get(pk=team_id)
    is_member = actor.is_authenticated and team.members.filter(user=actor).exists()
    if not is_member:
        require_role(actor, DISPATCH_ROLES, program_id=team.program_id)
    team.status = status
    team.status_changed_at = timezone.now()
    team.save(update_fields=["status", "status_changed_at"])
    return team


def status_when_free(team: Team, now: datetime) -> str:
    """The status a team returns to when it clears a call: available during a shift, off shift
    once its last shift has ended. A team with no shifts on record is run by hand and stays
    available (overtime belongs in a shift of its own)."""
    shifts = Shift.objects.filter(team=team)
    if shifts.filter(starts_at__lte=now, ends_at__gt=now).exists():
        return UnitStatus.AVAILABLE
    if shifts.filter(ends_at__lte=now).exists():
        return UnitStatus.OFF_SHIFT
    return UnitStatus.AVAILABLE


@dataclass(frozen=True)
class ShiftChange:
    team: Team
    old: str
    new: str


def shifts_apply(*, now: datetime | None = None) -> list[ShiftChange]:
    """Bring teams on and off shift by their rostered shifts.

    Only at a shift boundary the team has not seen yet: a status set by hand after a shift
    began or ended (a team sent home sick, a team kept on for overtime) is left alone until
    the next boundary. Busy teams (dispatched, en route, on scene, transporting) are never
    touched here; they go off shift when they clear the call (``status_when_free``).
    Idempotent and safe to run from several processes at once: each team row is locked.
    """
    now = now or timezone.now()
    changes: list[ShiftChange] = []
    candidates = Team.objects.filter(
        status__in=[UnitStatus.AVAILABLE, UnitStatus.OFF_SHIFT], shifts__isnull=False
    ).distinct()
    for team_id in candidates.values_list("pk", flat=True):
        with transaction.atomic():
            team = Team.objects.select_for_update().get(pk=team_id)
            new = _rostered_status(team, now)
            if new is None or new == team.status:
                continue
            changes.append(ShiftChange(team, team.status, new))
            team.status, team.status_changed_at = new, now
            team.save(update_fields=["status", "status_changed_at"])
    return changes


def _rostered_status(team: Team, now: datetime) -> str | None:
    """The status the roster asks for now, or None where a later hand-set status stands."""
    since = team.status_changed_at
    current = Shift.objects.filter(team=team, starts_at__lte=now, ends_at__gt=now).first()
    if current is not None:
        if team.status == UnitStatus.OFF_SHIFT and (since is None or since < current.starts_at):
            return UnitStatus.AVAILABLE
        return None
    ended = Shift.objects.filter(team=team, ends_at__lte=now).order_by("-ends_at").first()
    shift_ended_since = ended is not None and (since is None or since < ended.ends_at)
    if team.status == UnitStatus.AVAILABLE and shift_ended_since:
        return UnitStatus.OFF_SHIFT
    return None
