"""Writes for dispatch: assign a team to a call, change a team's status."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from corespond.core.access import Action, restrict
from corespond.core.roles import DISPATCH_ROLES, require_role
from corespond.core.vocab import UnitStatus
from corespond.dispatch.models import Assignment, Team
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
            call = restrict(Call.objects.select_for_update(), actor, action=Action.CHANGE).get(
                pk=call_id
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
