"""Assignment: a free team goes, a busy one cannot, and two dispatchers never both win."""

from __future__ import annotations

import threading

import pytest
from django.db import close_old_connections

from corespond.core.access import system
from corespond.core.vocab import Role, UnitStatus
from corespond.dispatch.models import Assignment, Team
from corespond.dispatch.services import AssignmentRefused, unit_assign
from tests.factories import UserFactory
from tests.journey import encounter_of, make_call


def test_assigning_a_free_team_dispatches_it_and_opens_the_encounter(world) -> None:
    call = make_call(world)
    assignment = unit_assign(actor=world.alice, call_id=call.pk, team_id=world.team.pk)
    world.team.refresh_from_db()
    assert world.team.status == UnitStatus.DISPATCHED
    encounter = encounter_of(assignment)
    assert encounter.received_at == call.received_at
    assert encounter.dispatched_at == assignment.assigned_at


def test_busy_team_is_refused_with_the_reason(world) -> None:
    first, second = make_call(world), make_call(world)
    unit_assign(actor=world.alice, call_id=first.pk, team_id=world.team.pk)
    with pytest.raises(AssignmentRefused, match="not available"):
        unit_assign(actor=world.alice, call_id=second.pk, team_id=world.team.pk)


def test_call_that_already_has_a_team_is_refused(world) -> None:
    call = make_call(world)
    unit_assign(actor=world.alice, call_id=call.pk, team_id=world.team.pk)
    with pytest.raises(AssignmentRefused, match="already has a team"):
        unit_assign(actor=world.alice, call_id=call.pk, team_id=world.medic_team.pk)


def test_officer_cannot_assign(world) -> None:
    from django.core.exceptions import PermissionDenied

    call = make_call(world)
    with pytest.raises(PermissionDenied):
        unit_assign(actor=world.oscar, call_id=call.pk, team_id=world.team.pk)


@pytest.mark.django_db(transaction=True)
def test_two_dispatchers_assigning_the_same_team_at_once_exactly_one_wins(world) -> None:
    """Real concurrent transactions on the test database (SQLite or PostgreSQL)."""
    dana = UserFactory(username="dana", roles=[(world.lakeside, Role.DISPATCHER)])
    calls = [make_call(world), make_call(world)]
    barrier = threading.Barrier(2)
    results: list[str] = []

    def attempt(actor, call) -> None:
        try:
            barrier.wait()
            unit_assign(actor=actor, call_id=call.pk, team_id=world.team.pk)
            results.append("assigned")
        except AssignmentRefused as exc:
            results.append(f"refused: {exc.messages[0]}")
        finally:
            close_old_connections()

    threads = [
        threading.Thread(target=attempt, args=(world.alice, calls[0])),
        threading.Thread(target=attempt, args=(dana, calls[1])),
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    assert sorted(results)[0] == "assigned"
    assert sorted(results)[1].startswith("refused: CR-1 is not available")
    open_assignments = system(Assignment.objects.all(), reason="test").filter(
        team=world.team, cleared_at__isnull=True
    )
    assert open_assignments.count() == 1
    assert Team.objects.get(pk=world.team.pk).status == UnitStatus.DISPATCHED


def test_team_status_is_set_by_a_dispatcher_or_a_member_only(world) -> None:
    from django.core.exceptions import PermissionDenied

    from corespond.dispatch.services import team_status_set

    team_status_set(actor=world.alice, team_id=world.team.pk, status="out_of_service")
    team_status_set(actor=world.oscar, team_id=world.team.pk, status="available")
    assert Team.objects.get(pk=world.team.pk).status == UnitStatus.AVAILABLE
    with pytest.raises(PermissionDenied):
        team_status_set(actor=world.olga, team_id=world.team.pk, status="off_shift")
    with pytest.raises(PermissionDenied):
        team_status_set(actor=world.bob, team_id=world.team.pk, status="off_shift")


def test_outsider_learns_nothing_about_the_team_when_assigning(world) -> None:
    from corespond.intake.models import Call

    call = make_call(world)
    with pytest.raises(Call.DoesNotExist):
        unit_assign(actor=world.olga, call_id=call.pk, team_id=world.team.pk)
