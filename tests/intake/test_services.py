from __future__ import annotations

from datetime import timedelta

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from corespond.core.access import system
from corespond.intake import services
from corespond.intake.models import Call
from tests.journey import make_call


def test_call_is_created_with_its_triage_decision(world) -> None:
    call = make_call(world)
    assert call.status == Call.Status.WAITING
    assert call.triage.response_type == "co_response"
    assert call.triage.protocol_version == "mixed@2026.1"


def test_apco_behavioral_health_type_sets_the_flag(world) -> None:
    assert make_call(world, call_type="SUICTHRT", behavioral_health=False).behavioral_health


def test_ineligible_call_is_closed_at_once(world) -> None:
    call = make_call(world, violence_in_progress=True)
    assert call.status == Call.Status.CLOSED
    assert not call.triage.eligible


def test_officer_cannot_create_calls(world) -> None:
    with pytest.raises(PermissionDenied):
        make_call(world, actor=world.oscar)


def test_dispatcher_of_another_program_cannot_create_calls_there(world) -> None:
    with pytest.raises(PermissionDenied):
        make_call(world, actor=world.olga)


def test_agency_outside_the_program_is_refused_and_nothing_is_written(world) -> None:
    with pytest.raises(ValidationError) as err:
        make_call(world, agency=world.far_county)
    assert services.ERR_PROGRAM_AGENCY in err.value.message_dict["agency"]
    assert system(Call.objects.all(), reason="test").count() == 0


def test_call_in_the_future_is_refused(world) -> None:
    with pytest.raises(ValidationError) as err:
        make_call(world, received_at=timezone.now() + timedelta(hours=2))
    assert services.ERR_FUTURE_CALL in err.value.message_dict["received_at"]


def test_eligible_call_closed_without_a_team_must_carry_a_reason(world) -> None:
    call = make_call(world)
    with pytest.raises(ValidationError):
        services.call_close_unserved(actor=world.alice, call_id=call.pk, reason="")
    closed = services.call_close_unserved(actor=world.alice, call_id=call.pk, reason="no_team_free")
    assert (closed.status, closed.unserved_reason) == (Call.Status.CLOSED, "no_team_free")


def test_closed_call_cannot_be_closed_again(world) -> None:
    call = make_call(world)
    services.call_close_unserved(actor=world.alice, call_id=call.pk, reason="cancelled")
    with pytest.raises(ValidationError, match="not waiting"):
        services.call_close_unserved(actor=world.alice, call_id=call.pk, reason="cancelled")


def test_outsider_cannot_close_riversides_call(world) -> None:
    call = make_call(world)
    with pytest.raises(Call.DoesNotExist):
        services.call_close_unserved(actor=world.olga, call_id=call.pk, reason="other")


def test_call_older_than_thirty_days_belongs_to_an_import(world) -> None:
    with pytest.raises(ValidationError) as err:
        make_call(world, received_at=timezone.now() - timedelta(days=31))
    assert services.ERR_OLD_CALL in err.value.message_dict["received_at"]


def test_welfare_check_needs_the_behavioral_health_flag_to_be_eligible(world) -> None:
    plain = make_call(world, call_type="WELFARE", behavioral_health=False)
    flagged = make_call(world, call_type="WELFARE", behavioral_health=True)
    assert (plain.behavioral_health, plain.triage.eligible) == (False, False)
    assert flagged.triage.eligible


def test_dispatcher_elsewhere_with_another_role_here_cannot_create_calls_here(world) -> None:
    from corespond.core.models import Membership

    Membership.objects.create(user=world.olga, agency=world.harbor, role="clinician")
    with pytest.raises(PermissionDenied):
        make_call(world, actor=world.olga)
