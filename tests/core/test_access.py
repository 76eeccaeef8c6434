"""The access gate: nothing person-level is read around it, and it narrows what it lets by."""

from __future__ import annotations

import pytest
from django.apps import apps

from corespond.core.access import (
    AccessGateBypassed,
    Action,
    AggregateOnly,
    is_protected,
    restrict,
    system,
)
from corespond.core.models import AuditEvent
from corespond.intake.models import Call
from corespond.people.models import Person
from tests.factories import CallFactory, PersonFactory

PROTECTED = sorted((m for m in apps.get_models() if is_protected(m)), key=lambda m: m._meta.label)
EXPECTED_PROTECTED = {
    "care.FollowUp",
    "care.FollowUpAttempt",
    "care.Referral",
    "care.ReferralStatusChange",
    "field.Encounter",
    "field.EncounterPerson",
    "intake.Call",
    "people.Person",
}


def test_every_person_level_model_is_protected() -> None:
    assert {m._meta.label for m in PROTECTED} == EXPECTED_PROTECTED


@pytest.mark.parametrize("model", PROTECTED, ids=lambda m: m._meta.label)
@pytest.mark.parametrize(
    "query",
    [
        lambda qs: list(qs),
        lambda qs: qs.count(),
        lambda qs: qs.exists(),
        lambda qs: qs.first(),
        lambda qs: list(qs.values_list("pk")),
        lambda qs: list(qs.iterator()),
        lambda qs: qs.aggregate(n=__import__("django.db.models").db.models.Count("pk")),
        lambda qs: qs.filter(pk=1).update(pk=1),
        lambda qs: qs.filter(pk=-1).delete(),
    ],
    ids=["list", "count", "exists", "first", "values", "iterator", "aggregate", "update", "delete"],
)
@pytest.mark.django_db
def test_querying_a_protected_model_around_the_gate_fails(model, query) -> None:
    with pytest.raises(AccessGateBypassed):
        query(model.objects.all())


@pytest.mark.django_db
def test_related_manager_of_a_protected_model_is_gated_too(world) -> None:
    call = CallFactory(program=world.program, agency=world.riverton)
    with pytest.raises(AccessGateBypassed):
        list(call.encounters.all())


def test_dispatcher_sees_calls_of_her_program(world) -> None:
    mine = CallFactory(program=world.program, agency=world.riverton)
    CallFactory(program=world.elsewhere, agency=world.far_county)
    assert list(restrict(Call.objects.all(), world.alice)) == [mine]


def test_officer_from_agency_b_in_the_same_program_sees_the_call(world) -> None:
    call = CallFactory(program=world.program, agency=world.riverton)
    assert list(restrict(Call.objects.all(), world.bob)) == [call]


def test_outsider_from_another_program_cannot_read_riversides_people(world) -> None:
    PersonFactory(program=world.program, recorded_by_agency=world.harbor)
    assert list(restrict(Person.objects.all(), world.olga)) == []


def test_user_without_a_role_sees_nothing(world) -> None:
    CallFactory(program=world.program, agency=world.riverton)
    assert restrict(Call.objects.all(), world.nobody).count() == 0


def test_anonymous_user_sees_nothing(world) -> None:
    from django.contrib.auth.models import AnonymousUser

    CallFactory(program=world.program, agency=world.riverton)
    assert restrict(Call.objects.all(), AnonymousUser()).count() == 0


def test_evaluator_may_count_but_not_read_rows(world) -> None:
    CallFactory(program=world.program, agency=world.riverton)
    assert restrict(Call.objects.all(), world.eve, action=Action.AGGREGATE).count() == 1
    with pytest.raises(AggregateOnly):
        list(restrict(Call.objects.all(), world.eve, action=Action.AGGREGATE))
    assert list(restrict(Call.objects.all(), world.eve)) == []


def test_a_read_of_rows_is_audited_with_the_ids_it_returned(world) -> None:
    call = CallFactory(program=world.program, agency=world.riverton)
    list(restrict(Call.objects.all(), world.alice, purpose="dispatch"))
    event = AuditEvent.objects.get(user=world.alice)
    assert (event.action, event.model, event.object_ids, event.purpose) == (
        "view",
        "intake.Call",
        [call.pk],
        "dispatch",
    )


def test_an_empty_read_writes_no_audit_row(world) -> None:
    list(restrict(Call.objects.all(), world.olga))
    assert not AuditEvent.objects.exists()


def test_gated_filters_keep_their_stamp(world) -> None:
    call = CallFactory(program=world.program, agency=world.riverton)
    qs = restrict(Call.objects.all(), world.alice).filter(pk=call.pk).order_by("pk")
    assert qs.get() == call


def test_system_access_needs_a_reason() -> None:
    with pytest.raises(ValueError):
        system(Call.objects.all(), reason="")


def test_updates_need_a_change_stamp(world) -> None:
    from django.core.exceptions import PermissionDenied

    CallFactory(program=world.program, agency=world.riverton)
    with pytest.raises(PermissionDenied):
        restrict(Call.objects.all(), world.alice).update(address="x")
    assert restrict(Call.objects.all(), world.alice, action=Action.CHANGE).update(address="x") == 1
