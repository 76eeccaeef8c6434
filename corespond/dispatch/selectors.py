"""Reads for dispatch. Teams are not person-level data; the calls they carry are."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.db.models import QuerySet

from corespond.core.access import programs_for, restrict
from corespond.core.models import Program
from corespond.core.vocab import UnitStatus
from corespond.dispatch.models import Assignment, Team
from corespond.dispatch.recommend import Option, options_for, recommended
from corespond.intake.models import Call
from corespond.intake.protocol import Decision, Facts
from corespond.intake.protocols_store import active_protocol


def is_co_response(team_id: int | None) -> bool:
    """An officer and at least one other member (clinician, medic, peer) on the team."""
    from corespond.core.vocab import Role
    from corespond.dispatch.models import TeamMember

    if team_id is None:
        return False
    roles = set(TeamMember.objects.filter(team_id=team_id).values_list("role", flat=True))
    return Role.OFFICER in roles and bool(roles - {Role.OFFICER})


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

    waiting = restrict(Call.objects.filter(status=Call.Status.WAITING), user).aggregate(
        n=Count("id"), last=Max("id")
    )
    teams = teams_for(user=user).aggregate(
        changed=Max("status_changed_at"), moved=Max("position_at"), n=Count("id")
    )
    changed, moved = (teams[key].isoformat() if teams[key] else "-" for key in ("changed", "moved"))
    return f"{waiting['n']}.{waiting['last'] or 0}.{teams['n']}.{changed}.{moved}"


@dataclass(frozen=True)
class Preview:
    """What triage and recommendation would say about a call not yet entered."""

    protocol_version: str
    decision: Decision
    options: list[Option]

    def as_json(self, limit: int = 5) -> dict[str, Any]:
        best = recommended(self.options)
        return {
            **self.decision.fields(self.protocol_version),
            "recommended": _option_json(best) if best else None,
            "options": [_option_json(o) for o in self.options[:limit]],
        }


def _option_json(option: Option) -> dict[str, Any]:
    return {
        "team": option.team.call_sign,
        "response_type": option.team.response_type,
        "fits": option.fits,
        "eta_minutes": None if option.eta_minutes is None else round(option.eta_minutes, 1),
    }


def triage_preview(
    *,
    user: Any,
    program: Program,
    facts: Facts,
    latitude: float | None = None,
    longitude: float | None = None,
) -> Preview:
    """Triage call facts with the program's active protocol and rank its free teams, writing
    nothing: the call-taker's preview while a call is typed, and replays of CAD history.

    Reads no person-level data (facts, the protocol and teams), so nothing is audited. The
    caller checks that the user dispatches for ``program``.
    """
    version, rules = active_protocol(program)
    decision = rules.decide(facts)
    where = Call(latitude=latitude, longitude=longitude)
    # Only what ranking needs: no members or agencies (the caller has checked the user's
    # role in the program). The full team rows cost more than the triage itself.
    free = Team.objects.filter(program_id=program.pk, status=UnitStatus.AVAILABLE).only(
        "call_sign", "response_type", "last_latitude", "last_longitude"
    )
    return Preview(version.label, decision, options_for(where, decision.response_type, free))
