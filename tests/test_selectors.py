"""Selectors: what each list returns, in which order, and only through the gate."""

from __future__ import annotations

from corespond.care.models import Resource
from corespond.care.selectors import followup_queue, resources_for
from corespond.dispatch.selectors import open_assignment_for_member, teams_for, teams_free_for
from corespond.dispatch.services import unit_assign
from corespond.field import services as field
from corespond.field.selectors import encounters_for_call, people_in_encounter
from corespond.intake.selectors import call_get, calls_waiting
from tests.journey import encounter_of, finish_encounter, make_call


def test_waiting_calls_come_by_priority_then_age(world) -> None:
    routine = make_call(world, minutes_ago=30)
    urgent = make_call(world, minutes_ago=5, weapons=True)  # safety risk: priority 1
    older_routine = make_call(world, minutes_ago=50)
    make_call(world, violence_in_progress=True)  # not eligible: closed, not waiting
    assert list(calls_waiting(user=world.alice)) == [urgent, older_routine, routine]
    assert list(calls_waiting(user=world.olga)) == []


def test_call_get_refuses_calls_of_other_programs(world) -> None:
    import pytest

    from corespond.intake.models import Call

    call = make_call(world)
    assert call_get(user=world.bob, call_id=call.pk) == call
    with pytest.raises(Call.DoesNotExist):
        call_get(user=world.olga, call_id=call.pk)


def test_free_teams_and_the_members_open_assignment(world) -> None:
    call = make_call(world)
    assert set(teams_free_for(user=world.alice, program_id=world.program.pk)) == {
        world.team,
        world.medic_team,
    }
    assert open_assignment_for_member(user=world.oscar) is None
    assignment = unit_assign(actor=world.alice, call_id=call.pk, team_id=world.team.pk)
    assert list(teams_free_for(user=world.alice, program_id=world.program.pk)) == [world.medic_team]
    assert open_assignment_for_member(user=world.oscar) == assignment
    assert open_assignment_for_member(user=world.bob) is None
    assert list(teams_for(user=world.olga)) == []


def test_encounters_and_people_of_a_call(world) -> None:
    call = make_call(world)
    enc = encounter_of(unit_assign(actor=world.alice, call_id=call.pk, team_id=world.team.pk))
    person = field.encounter_person_add(actor=world.clara, encounter_id=enc.pk, given_name="Jo")
    assert list(encounters_for_call(user=world.kim, call_id=call.pk)) == [enc]
    assert [link.person for link in people_in_encounter(user=world.kim, encounter_id=enc.pk)] == [
        person
    ]
    assert list(encounters_for_call(user=world.olga, call_id=call.pk)) == []


def test_follow_up_queue_splits_open_and_done(world) -> None:
    from corespond.care.services import followup_attempt_record

    for name in ("Ann", "Ben"):
        finish_encounter(world, given_name=name)
    first = followup_queue(user=world.kim)[0]
    followup_attempt_record(
        actor=world.kim,
        followup_id=first.pk,
        method="phone",
        reached=True,
        outcome="contacted_no_need",
    )
    assert [str(f.person) for f in followup_queue(user=world.kim)] == ["Ben"]
    done = list(followup_queue(user=world.kim, state="closed"))
    assert [(str(f.person), f.attempt_count) for f in done] == [("Ann", 1)]


def test_resource_search_matches_name_need_or_organisation(world) -> None:
    Resource.objects.create(
        program=world.program, organization="Harbor BH", name="Respite House", category="crisis"
    )
    Resource.objects.create(
        program=world.program, organization="Food Bank", name="Pantry", category="food"
    )
    Resource.objects.create(
        program=world.elsewhere, organization="Far", name="Far Respite", category="crisis"
    )
    assert [r.name for r in resources_for(user=world.kim, query="respite")] == ["Respite House"]
    assert [r.name for r in resources_for(user=world.kim, query="food bank")] == ["Pantry"]
    assert len(resources_for(user=world.kim)) == 2
