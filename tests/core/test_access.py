"""The access gate: nothing person-level is read around it, and it narrows what it lets by."""

from __future__ import annotations

import pytest
from django.apps import apps
from django.db.models import Count, Max

from corespond.core.access import (
    AccessGateBypassed,
    Action,
    AggregateOnly,
    is_protected,
    restrict,
    system,
)
from corespond.core.models import AuditEvent
from corespond.dispatch.models import Assignment
from corespond.intake.models import Call, TriageDecision
from corespond.people.models import Person
from tests.factories import CallFactory, PersonFactory

PROTECTED = sorted((m for m in apps.get_models() if is_protected(m)), key=lambda m: m._meta.label)
EXPECTED_PROTECTED = {
    "care.FollowUp",
    "care.FollowUpAttempt",
    "care.Referral",
    "care.ReferralStatusChange",
    "dispatch.Assignment",
    "field.ClinicalNote",
    "field.Encounter",
    "field.EncounterDraft",
    "field.EncounterPerson",
    "field.Intervention",
    "field.Part2Note",
    "field.Screening",
    "intake.Call",
    "intake.TriageDecision",
    "interop.EidoIncident",
    "people.Person",
    "people.SafetyFlag",
    "people.SafetyPlan",
    "outcomes.CrisisContact",
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


def test_roles_count_per_agency_an_evaluator_here_and_dispatcher_there_reads_no_rows_here(
    world,
) -> None:
    from corespond.core.models import Membership

    CallFactory(program=world.program, agency=world.riverton)
    Membership.objects.create(user=world.olga, agency=world.harbor, role="evaluator")
    assert restrict(Call.objects.all(), world.olga).count() == 0
    assert restrict(Call.objects.all(), world.olga, action=Action.AGGREGATE).count() == 1


@pytest.mark.parametrize(
    "read",
    [
        lambda qs: list(qs.values_list("address")),
        lambda qs: list(qs.values("address")),
        lambda qs: list(qs.values_list("address", flat=True).iterator()),
        lambda qs: qs.first(),
    ],
    ids=["values_list", "values", "iterator", "first"],
)
def test_aggregate_stamp_releases_no_rows_in_any_shape(world, read) -> None:
    CallFactory(program=world.program, agency=world.riverton)
    with pytest.raises(AggregateOnly):
        read(restrict(Call.objects.all(), world.eve, action=Action.AGGREGATE))


def test_aggregate_stamp_allows_grouped_counts(world) -> None:
    from django.db.models import Count

    CallFactory(program=world.program, agency=world.riverton, call_type="EDP")
    CallFactory(program=world.program, agency=world.riverton, call_type="EDP")
    grouped = (
        restrict(Call.objects.all(), world.eve, action=Action.AGGREGATE)
        .values("call_type")
        .annotate(n=Count("id"))
        .order_by()
    )
    assert list(grouped) == [{"call_type": "EDP", "n": 2}]


@pytest.mark.parametrize(
    "combine",
    [
        lambda a, b: a | b,
        lambda a, b: a & b,
        lambda a, b: a.union(b),
        lambda a, b: a.intersection(b),
        lambda a, b: a.difference(b),
    ],
    ids=["or", "and", "union", "intersection", "difference"],
)
def test_a_stamp_cannot_be_stretched_over_an_unstamped_queryset(world, combine) -> None:
    CallFactory(program=world.elsewhere, agency=world.far_county)
    with pytest.raises(AccessGateBypassed):
        combine(restrict(Call.objects.all(), world.alice), Call.objects.all())


def test_querysets_with_the_same_stamp_combine(world) -> None:
    call = CallFactory(program=world.program, agency=world.riverton)
    mine = restrict(Call.objects.all(), world.alice)
    assert list(mine.filter(pk=call.pk) | mine.filter(pk=-1)) == [call]


def test_raw_sql_on_a_protected_model_is_refused(world) -> None:
    with pytest.raises(AccessGateBypassed):
        Call.objects.raw("SELECT * FROM intake_call")


@pytest.mark.parametrize("model", [Assignment, TriageDecision], ids=["assignment", "triage"])
def test_models_that_lead_to_a_call_are_gated_too(world, model) -> None:
    with pytest.raises(AccessGateBypassed):
        list(model.objects.select_related("call"))


def test_values_reads_are_audited_too(world) -> None:
    CallFactory(program=world.program, agency=world.riverton)
    list(restrict(Call.objects.all(), world.alice).values_list("address", flat=True))
    assert AuditEvent.objects.filter(user=world.alice, model="intake.Call").count() == 1


def test_uniqueness_validation_works_without_leaking(world) -> None:
    from django.core.exceptions import ValidationError

    taken = CallFactory(program=world.program, agency=world.riverton)
    clash = CallFactory.build(
        program=world.program, agency=world.riverton, reference=taken.reference
    )
    with pytest.raises(ValidationError, match="reference"):
        clash.full_clean()
    with pytest.raises(AccessGateBypassed):
        Call.objects.filter(reference=taken.reference).exists()


@pytest.mark.parametrize(
    "read",
    [
        lambda qs: list(qs.values().annotate(n=Count("id"))),
        lambda qs: list(qs.values("id", "address").annotate(n=Count("id"))),
        lambda qs: list(qs.annotate(n=Count("id")).values_list("address", "n")),
        lambda qs: list(qs.values("status").annotate(m=Max("address"))),
        lambda qs: qs.aggregate(a=Max("address")),
    ],
    ids=["all-fields", "unique-field", "annotate-then-values", "max-per-group", "max"],
)
def test_aggregate_stamp_gives_counts_by_category_only(world, read) -> None:
    CallFactory(program=world.program, agency=world.riverton, address="12 Secret Ln")
    with pytest.raises(AggregateOnly):
        read(restrict(Call.objects.all(), world.eve, action=Action.AGGREGATE))


def test_extra_and_upserts_are_refused(world) -> None:
    with pytest.raises(AccessGateBypassed):
        restrict(Call.objects.all(), world.alice).extra(where=["1=1) OR (1=1"])
    taken = CallFactory(program=world.elsewhere, agency=world.far_county)
    clash = CallFactory.build(
        program=world.program, agency=world.riverton, reference=taken.reference
    )
    with pytest.raises(AccessGateBypassed):
        Call.objects.bulk_create(
            [clash], update_conflicts=True, unique_fields=["reference"], update_fields=["address"]
        )


def test_a_stream_stopped_early_is_still_audited(world) -> None:
    for _ in range(3):
        CallFactory(program=world.program, agency=world.riverton)
    for _call in restrict(Call.objects.all(), world.alice).iterator():
        break
    event = AuditEvent.objects.get(user=world.alice)
    assert len(event.object_ids) == 1


def test_updates_through_the_gate_are_audited_with_the_ids_changed(world) -> None:
    call = CallFactory(program=world.program, agency=world.riverton)
    restrict(Call.objects.all(), world.alice, action=Action.CHANGE).update(address="moved")
    event = AuditEvent.objects.get(user=world.alice)
    assert (event.action, event.object_ids) == ("change", [call.pk])


@pytest.mark.django_db
def test_the_sql_guard_refuses_reads_of_protected_tables_outside_the_gate(world) -> None:
    """What the queryset gate cannot see, the SQL guard (on in every web request) does."""
    from django.db import connection

    from corespond.care.models import FollowUp
    from corespond.core.access import sql_guard
    from corespond.core.models import Program
    from tests.journey import finish_encounter

    finish_encounter(world, given_name="Noor")
    followup = restrict(FollowUp.objects.all(), world.kim).get()
    with sql_guard():
        # Through the gate, with the joins it asked for: fine.
        assert restrict(FollowUp.objects.select_related("person"), world.kim).get().person
        assert restrict(FollowUp.objects.all(), world.kim).count() == 1
        # A join that starts from an unprotected model.
        with pytest.raises(AccessGateBypassed, match="intake_call"):
            list(Program.objects.values("calls__address"))
        # Django loading a related row on attribute access (its base manager).
        with pytest.raises(AccessGateBypassed, match="people_person"):
            _ = followup.person
        # Raw SQL on a cursor.
        with pytest.raises(AccessGateBypassed, match="people_person"), connection.cursor() as c:
            c.execute('SELECT "given_name" FROM "people_person"')
    # Outside a request (a named system job, a migration) the guard is off.
    assert list(Program.objects.values("calls__address"))
