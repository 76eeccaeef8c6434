"""The roster drives teams on and off shift, at shift boundaries only."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from io import StringIO

from django.core.management import call_command
from django.utils import timezone

from corespond.dispatch.models import Shift, Team
from corespond.dispatch.services import shifts_apply, team_status_set, unit_assign
from corespond.field import services as field
from tests.journey import encounter_of, make_call

NOON = datetime(2026, 11, 27, 20, 0, tzinfo=UTC)  # 12:00 in Riverside


def _status(team: Team) -> str:
    team.refresh_from_db()
    return team.status


def _roster(team: Team, start: datetime, hours: int) -> Shift:
    return Shift.objects.create(team=team, starts_at=start, ends_at=start + timedelta(hours=hours))


def test_a_shift_start_brings_a_team_on_and_its_end_takes_it_off(world) -> None:
    team = world.medic_team
    Team.objects.filter(pk=team.pk).update(status="off_shift", status_changed_at=NOON)
    _roster(team, NOON + timedelta(hours=1), 8)
    assert shifts_apply(now=NOON + timedelta(minutes=30)) == []
    changes = shifts_apply(now=NOON + timedelta(hours=1))
    assert [(c.team.call_sign, c.old, c.new) for c in changes] == [
        ("CM-1", "off_shift", "available")
    ]
    assert shifts_apply(now=NOON + timedelta(hours=2)) == []  # idempotent
    shifts_apply(now=NOON + timedelta(hours=9))
    assert _status(team) == "off_shift"


def test_a_status_set_by_hand_during_a_shift_stands_until_the_next_boundary(world) -> None:
    team = world.medic_team
    Team.objects.filter(pk=team.pk).update(status="off_shift", status_changed_at=NOON)
    _roster(team, NOON + timedelta(hours=1), 8)
    shifts_apply(now=NOON + timedelta(hours=1))
    # Sent home sick at 14:00: the roster does not bring the team back within this shift.
    team_status_set(actor=world.alice, team_id=team.pk, status="off_shift")
    Team.objects.filter(pk=team.pk).update(status_changed_at=NOON + timedelta(hours=2))
    assert shifts_apply(now=NOON + timedelta(hours=3)) == []
    assert _status(team) == "off_shift"
    # Kept on for overtime after the shift: the roster does not take it off either.
    Team.objects.filter(pk=team.pk).update(
        status="available", status_changed_at=NOON + timedelta(hours=9, minutes=5)
    )
    assert shifts_apply(now=NOON + timedelta(hours=10)) == []
    assert _status(team) == "available"


def test_teams_without_a_roster_and_busy_teams_are_left_alone(world) -> None:
    # CR-1 has no shifts on record: it is run by hand.
    assert shifts_apply(now=timezone.now()) == []
    assert _status(world.team) == "available"
    start = timezone.now() - timedelta(hours=8)
    _roster(world.team, start, 7)  # ended an hour ago
    Team.objects.filter(pk=world.team.pk).update(status_changed_at=start)
    call = make_call(world)
    assignment = unit_assign(actor=world.alice, call_id=call.pk, team_id=world.team.pk)
    assert shifts_apply() == []
    assert _status(world.team) == "dispatched"
    # Clearing the call after the shift ended takes the team off shift, not back to available.
    field.encounter_stamp(
        actor=world.oscar, encounter_id=encounter_of(assignment).pk, stamp="cleared_at"
    )
    assert _status(world.team) == "off_shift"


def test_clearing_during_a_shift_makes_the_team_available(world) -> None:
    _roster(world.team, timezone.now() - timedelta(hours=1), 8)
    call = make_call(world)
    assignment = unit_assign(actor=world.alice, call_id=call.pk, team_id=world.team.pk)
    field.encounter_stamp(
        actor=world.oscar, encounter_id=encounter_of(assignment).pk, stamp="cleared_at"
    )
    assert _status(world.team) == "available"


def test_the_shifts_command_prints_each_change(world) -> None:
    team = world.medic_team
    start = timezone.now() - timedelta(minutes=10)
    Team.objects.filter(pk=team.pk).update(
        status="off_shift", status_changed_at=start - timedelta(hours=1)
    )
    _roster(team, start, 8)
    out = StringIO()
    call_command("shifts", stdout=out)
    assert "CM-1: off_shift -> available" in out.getvalue()
    out = StringIO()
    call_command("shifts", stdout=out)
    assert "No team changes shift now." in out.getvalue()
