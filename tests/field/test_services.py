"""The encounter: one-tap stamps, the record, and completion that frees the team."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from corespond.care.models import FollowUp
from corespond.core.access import system
from corespond.core.vocab import UnitStatus
from corespond.dispatch.models import Team
from corespond.dispatch.services import unit_assign
from corespond.field import services
from corespond.field.models import Encounter
from corespond.intake.models import Call
from tests.journey import encounter_of, make_call


@pytest.fixture
def encounter(world):
    call = make_call(world)
    return encounter_of(unit_assign(actor=world.alice, call_id=call.pk, team_id=world.team.pk))


def test_first_tap_sets_the_stamp_and_moves_the_team(world, encounter) -> None:
    services.encounter_stamp(actor=world.oscar, encounter_id=encounter.pk, stamp="arrived_at")
    first = system(type(encounter).objects.all(), reason="t").get(pk=encounter.pk).arrived_at
    services.encounter_stamp(actor=world.clara, encounter_id=encounter.pk, stamp="arrived_at")
    again = system(type(encounter).objects.all(), reason="t").get(pk=encounter.pk).arrived_at
    assert first is not None and first == again
    assert Team.objects.get(pk=world.team.pk).status == UnitStatus.ON_SCENE


def test_unknown_stamp_is_refused(world, encounter) -> None:
    with pytest.raises(ValidationError):
        services.encounter_stamp(actor=world.oscar, encounter_id=encounter.pk, stamp="lunch_at")


def test_times_that_go_backwards_are_refused(world, encounter) -> None:
    with pytest.raises(ValidationError, match="before dispatched"):
        services.encounter_update(
            actor=world.oscar,
            encounter_id=encounter.pk,
            arrived_at=encounter.dispatched_at - timedelta(minutes=5),
        )


def test_dispatcher_cannot_write_the_encounter(world, encounter) -> None:
    with pytest.raises(PermissionDenied):
        services.encounter_update(
            actor=world.alice, encounter_id=encounter.pk, contact_outcome="engaged"
        )


def test_encounter_needs_a_contact_outcome_to_complete(world, encounter) -> None:
    with pytest.raises(ValidationError) as err:
        services.encounter_complete(actor=world.oscar, encounter_id=encounter.pk)
    assert services.ERR_OUTCOME_REQUIRED in err.value.messages


def test_completing_an_engaged_encounter_frees_the_team_closes_the_call_and_creates_follow_up(
    world, encounter
) -> None:
    services.encounter_person_add(
        actor=world.clara, encounter_id=encounter.pk, given_name="Sam", family_name="Ashford"
    )
    services.encounter_update(
        actor=world.clara,
        encounter_id=encounter.pk,
        contact_outcome="engaged",
        disposition="remained_in_community",
        service_provided=True,
    )
    done = services.encounter_complete(actor=world.clara, encounter_id=encounter.pk)
    assert done.cleared_at is not None and done.completed_at is not None
    assert Team.objects.get(pk=world.team.pk).status == UnitStatus.AVAILABLE
    assert system(Call.objects.all(), reason="t").get(pk=encounter.call_id).status == "closed"
    followup = system(FollowUp.objects.all(), reason="t").get()
    assert followup.due_at == done.completed_at + timedelta(hours=72)
    with pytest.raises(ValidationError):
        services.encounter_complete(actor=world.clara, encounter_id=encounter.pk)


def test_arrest_creates_no_follow_up(world, encounter) -> None:
    services.encounter_person_add(actor=world.oscar, encounter_id=encounter.pk, given_name="Jo")
    services.encounter_update(
        actor=world.oscar,
        encounter_id=encounter.pk,
        contact_outcome="engaged",
        disposition="arrest",
    )
    services.encounter_complete(actor=world.oscar, encounter_id=encounter.pk)
    assert system(FollowUp.objects.all(), reason="t").count() == 0


def test_person_needs_a_name(world, encounter) -> None:
    with pytest.raises(ValidationError):
        services.encounter_person_add(actor=world.oscar, encounter_id=encounter.pk, given_name=" ")


def test_hold_force_or_injury_make_a_critical_incident(world, encounter) -> None:
    assert not encounter.is_critical_incident
    updated = services.encounter_update(
        actor=world.oscar, encounter_id=encounter.pk, involuntary_hold=True
    )
    assert updated.is_critical_incident


def test_interval_minutes_come_from_the_stamps() -> None:
    dispatched = timezone.now()
    encounter = Encounter(dispatched_at=dispatched, arrived_at=dispatched + timedelta(minutes=12))
    assert encounter.interval_minutes("travel") == 12.0
    assert encounter.interval_minutes("on_scene") is None  # not cleared yet


def test_times_in_the_future_and_dispatch_stamps_are_not_the_teams_to_set(world, encounter) -> None:
    with pytest.raises(ValidationError, match="cannot be in the future"):
        services.encounter_update(
            actor=world.oscar,
            encounter_id=encounter.pk,
            cleared_at=timezone.now() + timedelta(days=2),
        )
    with pytest.raises(ValidationError, match="not allowed here: dispatched_at"):
        services.encounter_update(
            actor=world.oscar, encounter_id=encounter.pk, dispatched_at=timezone.now()
        )


def test_a_second_tap_of_an_earlier_stamp_does_not_move_the_team_back(world, encounter) -> None:
    for stamp in ("en_route_at", "arrived_at", "en_route_at"):
        services.encounter_stamp(actor=world.oscar, encounter_id=encounter.pk, stamp=stamp)
    assert Team.objects.get(pk=world.team.pk).status == UnitStatus.ON_SCENE


def test_a_tap_that_would_run_time_backwards_is_refused(world, encounter) -> None:
    services.encounter_update(
        actor=world.oscar,
        encounter_id=encounter.pk,
        cleared_at=encounter.dispatched_at + timedelta(milliseconds=1),
    )
    with pytest.raises(ValidationError, match=r"cleared .* is before arrived"):
        services.encounter_stamp(actor=world.oscar, encounter_id=encounter.pk, stamp="arrived_at")


def test_clearing_frees_the_team_before_the_record_is_complete(world, encounter) -> None:
    services.encounter_stamp(actor=world.oscar, encounter_id=encounter.pk, stamp="cleared_at")
    assert Team.objects.get(pk=world.team.pk).status == UnitStatus.AVAILABLE
    # ... so dispatch can send the team on, and completing the old record later
    # must not touch the team's new assignment.
    nxt = make_call(world)
    unit_assign(actor=world.alice, call_id=nxt.pk, team_id=world.team.pk)
    services.encounter_update(
        actor=world.oscar, encounter_id=encounter.pk, contact_outcome="refused"
    )
    services.encounter_complete(actor=world.oscar, encounter_id=encounter.pk)
    assert Team.objects.get(pk=world.team.pk).status == UnitStatus.DISPATCHED


def test_a_complete_record_is_final(world, encounter) -> None:
    services.encounter_update(
        actor=world.oscar, encounter_id=encounter.pk, contact_outcome="unable_to_locate"
    )
    services.encounter_complete(actor=world.oscar, encounter_id=encounter.pk)
    for change in (
        lambda: services.encounter_stamp(
            actor=world.oscar, encounter_id=encounter.pk, stamp="engaged_at"
        ),
        lambda: services.encounter_update(
            actor=world.oscar, encounter_id=encounter.pk, disposition="arrest"
        ),
        lambda: services.encounter_person_add(
            actor=world.oscar, encounter_id=encounter.pk, given_name="Late"
        ),
    ):
        with pytest.raises(ValidationError, match="already complete"):
            change()


def test_officer_of_another_program_cannot_touch_the_encounter(world, encounter) -> None:
    from tests.factories import UserFactory

    fred = UserFactory(username="fred", roles=[(world.far_county, "officer")])
    with pytest.raises(Encounter.DoesNotExist):
        services.encounter_update(actor=fred, encounter_id=encounter.pk, contact_outcome="engaged")


def _team(world) -> Team:
    return Team.objects.get(pk=world.team.pk)


def test_transport_stamps_move_the_team_through_transporting_and_at_destination(
    world, encounter
) -> None:
    for stamp in ("en_route_at", "arrived_at", "engaged_at"):
        services.encounter_stamp(actor=world.oscar, encounter_id=encounter.pk, stamp=stamp)
    services.encounter_stamp(
        actor=world.oscar, encounter_id=encounter.pk, stamp="transport_started_at"
    )
    assert _team(world).status == UnitStatus.TRANSPORTING
    services.encounter_stamp(
        actor=world.oscar, encounter_id=encounter.pk, stamp="destination_arrived_at"
    )
    assert _team(world).status == UnitStatus.AT_DESTINATION
    encounter.refresh_from_db()
    assert encounter.transport_started_at <= encounter.destination_arrived_at
    # A corrected transport time before engagement is refused like any other.
    with pytest.raises(ValidationError, match=r"transport started .* is before engaged"):
        services.encounter_update(
            actor=world.clara,
            encounter_id=encounter.pk,
            transport_started_at=encounter.arrived_at - timedelta(minutes=5),
        )


def test_arrival_puts_the_team_at_the_call_and_a_shared_position_is_used(world) -> None:
    call = make_call(world, latitude=44.05, longitude=-123.09)
    assignment = unit_assign(actor=world.alice, call_id=call.pk, team_id=world.team.pk)
    enc = encounter_of(assignment)
    services.encounter_stamp(
        actor=world.oscar, encounter_id=enc.pk, stamp="en_route_at", position=("44.1", "-123.2")
    )
    team = _team(world)
    assert (team.last_latitude, team.last_longitude) == (44.1, -123.2)
    assert team.position_at is not None
    services.encounter_stamp(actor=world.oscar, encounter_id=enc.pk, stamp="arrived_at")
    team = _team(world)
    assert (team.last_latitude, team.last_longitude) == (44.05, -123.09)


@pytest.mark.parametrize("position", [("91", "0"), ("0", "-181"), ("north", "1")])
def test_an_impossible_position_is_refused_and_nothing_is_stamped(
    world, encounter, position
) -> None:
    with pytest.raises(ValidationError, match="latitude from -90 to 90"):
        services.encounter_stamp(
            actor=world.oscar, encounter_id=encounter.pk, stamp="en_route_at", position=position
        )
    encounter.refresh_from_db()
    assert encounter.en_route_at is None
    assert _team(world).status == UnitStatus.DISPATCHED


def test_the_officer_of_a_co_response_team_clears_after_arrival_without_moving_the_team(
    world, encounter
) -> None:
    with pytest.raises(ValidationError, match="after the team arrived"):
        services.encounter_stamp(
            actor=world.oscar, encounter_id=encounter.pk, stamp="officer_cleared_at"
        )
    services.encounter_stamp(actor=world.oscar, encounter_id=encounter.pk, stamp="arrived_at")
    services.encounter_stamp(
        actor=world.oscar, encounter_id=encounter.pk, stamp="officer_cleared_at"
    )
    found = system(Encounter.objects.all(), reason="t").get(pk=encounter.pk)
    assert found.officer_cleared_at is not None and found.cleared_at is None
    assert Team.objects.get(pk=world.team.pk).status == UnitStatus.ON_SCENE


def test_a_team_without_an_officer_has_no_officer_to_clear(world) -> None:
    call = make_call(world)
    medics = encounter_of(
        unit_assign(
            actor=world.alice,
            call_id=call.pk,
            team_id=world.medic_team.pk,
            override_reason="CR-1 busy",
        )
    )
    from corespond.dispatch.models import TeamMember

    TeamMember.objects.create(team=world.medic_team, user=world.clara, role="clinician")
    actor = world.clara
    services.encounter_stamp(actor=actor, encounter_id=medics.pk, stamp="arrived_at")
    with pytest.raises(ValidationError, match="co-response team"):
        services.encounter_stamp(actor=actor, encounter_id=medics.pk, stamp="officer_cleared_at")
