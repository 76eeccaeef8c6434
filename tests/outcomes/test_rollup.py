"""The figures kept by day (outcomes/rollup.py) give the catalog exactly what counting from the
records gives, and stay current however the records change: ORM saves, bulk statements, raw
SQL, deletes, a call moved to another day, a program's time zone changed."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
from django.db import connection

from corespond.core.access import Action, system
from corespond.core.models import Program
from corespond.demo import county
from corespond.dispatch.models import Assignment
from corespond.field.models import Encounter, EncounterPerson
from corespond.intake.models import Call
from corespond.outcomes import metrics, rollup
from corespond.outcomes.models import CrisisContact, DayFigures, ProgramFigures, StaleDay
from corespond.people.models import Person
from tests.factories import CallFactory

# Eight weeks of the demo county up to a date after the spring clock change (2026-03-08).
END = datetime(2026, 3, 20, 7, tzinfo=UTC)


@pytest.fixture
def demo(db) -> Program:
    county.load(seed=5, years=0.15, end=END)
    return Program.objects.get(slug=county.PROGRAM_SLUG)


def both(filters: metrics.Filters, user=None) -> tuple[dict, dict]:
    kept = metrics.compute(filters, user=user, system_reason="test", stored=True)
    counted = metrics.compute(filters, user=user, system_reason="test", stored=False)
    return kept, counted


def filter_sets(program: Program) -> list[metrics.Filters]:
    agency = program.agencies.order_by("pk")[0]
    zone = program.timezone
    return [
        metrics.Filters(program_id=program.pk, tz=zone),
        metrics.Filters(
            date_from=date(2026, 2, 1), date_to=date(2026, 3, 15), program_id=program.pk, tz=zone
        ),
        # One day, the day the clocks changed.
        metrics.Filters(date_from=date(2026, 3, 8), date_to=date(2026, 3, 8), tz=zone),
        metrics.Filters(date_from=date(2026, 2, 10), agency_id=agency.pk, tz=zone),
        metrics.Filters(response_type="co_response", tz=zone),
        metrics.Filters(model=program.model, date_to=date(2026, 2, 28), tz=zone),
    ]


def test_kept_figures_equal_counting_from_the_records(demo) -> None:
    assert system(Call.objects.filter(program=demo), reason="test").count() > 500
    for filters in filter_sets(demo):
        kept, counted = both(filters)
        assert kept == counted, filters
    # The kept days answered (they were written, and nothing is stale).
    assert ProgramFigures.objects.filter(program=demo, zone=demo.timezone).exists()
    assert DayFigures.objects.filter(program=demo).count() >= 50
    assert not StaleDay.objects.exists()
    whole = metrics.Filters(program_id=demo.pk, tz=demo.timezone)
    assert rollup.stored_figures(whole, [demo]) is not None
    assert metrics.compute(whole, system_reason="test")["people.served"]["value"] > 50


def test_kept_figures_follow_the_users_scope(demo, world) -> None:
    """Eve counts her programs' calls, Nobody none, a superuser every program's."""
    far = world.elsewhere.agencies.get()
    CallFactory(program=world.elsewhere, agency=far, received_at=END)
    filters = metrics.Filters(tz=demo.timezone)
    seen = {}
    for name in ("eve", "nobody"):
        kept, counted = both(filters, user=getattr(world, name))
        assert kept == counted
        seen[name] = kept["calls.total"]["value"]
    world.eve.is_superuser = True
    kept, counted = both(filters, user=world.eve)
    assert kept == counted
    assert seen["nobody"] == 0
    assert kept["calls.total"]["value"] > seen["eve"] > 0


def test_changes_are_seen_however_they_are_written(demo, world) -> None:
    zone = demo.timezone
    whole = metrics.Filters(program_id=demo.pk, tz=zone)
    before = metrics.compute(whole, system_reason="test")
    assert not StaleDay.objects.exists()
    encounters = system(Encounter.objects.filter(call__program=demo).order_by("pk"), reason="test")
    first, second, third = list(encounters[:3])
    # A bulk UPDATE (no signals), a delete, a call moved to another day, and new records.
    system(Encounter.objects.filter(pk=first.pk), reason="test", action=Action.CHANGE).update(
        contact_outcome="refused", disposition="arrest"
    )
    system(
        Assignment.objects.filter(call_id=second.call_id), reason="test", action=Action.CHANGE
    ).update(cleared_at=END)
    system(
        EncounterPerson.objects.filter(encounter=third), reason="test", action=Action.CHANGE
    ).delete()
    system(Call.objects.filter(pk=third.call_id), reason="test", action=Action.CHANGE).update(
        received_at=END - timedelta(days=1)
    )
    agency = demo.agencies.order_by("pk").first()
    new = CallFactory(program=demo, agency=agency, received_at=END - timedelta(days=2))
    encounter = Encounter.objects.create(
        call=new, received_at=new.received_at, contact_outcome="engaged", disposition="arrest"
    )
    person = Person.objects.create(program=demo, recorded_by_agency=agency, given_name="Nova")
    EncounterPerson.objects.bulk_create([EncounterPerson(encounter=encounter, person=person)])
    with connection.cursor() as cursor:
        # Raw SQL too: the triggers are in the database.
        cursor.execute(
            f"UPDATE {Encounter._meta.db_table} SET injury_staff = %s WHERE id = %s",
            [True, second.pk],
        )
    assert StaleDay.objects.count() >= 2  # the first encounters share a day
    kept, counted = both(whole)
    assert kept == counted
    assert kept != before
    assert kept["calls.total"]["value"] == before["calls.total"]["value"] + 1
    assert not StaleDay.objects.exists()


@pytest.mark.parametrize(
    "model",
    [
        "intake.Call",
        "intake.TriageDecision",
        "dispatch.Assignment",
        "field.Encounter",
        "field.EncounterPerson",
        "field.Intervention",
        "care.Referral",
    ],
)
def test_every_source_table_marks_its_day_stale(demo, model) -> None:
    from django.apps import apps

    table = apps.get_model(model)._meta.db_table
    metrics.compute(metrics.Filters(program_id=demo.pk, tz=demo.timezone), system_reason="t")
    assert not StaleDay.objects.exists()
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT min(id) FROM {table}")
        (row_id,) = cursor.fetchone()
        assert row_id is not None, f"the demo county has no {model}"
        cursor.execute(f"UPDATE {table} SET id = id WHERE id = %s", [row_id])
    marks = list(StaleDay.objects.values_list("program_id", flat=True))
    assert marks == [demo.pk]


def test_a_time_zone_change_writes_the_program_again(demo) -> None:
    metrics.compute(metrics.Filters(program_id=demo.pk, tz=demo.timezone), system_reason="t")
    Program.objects.filter(pk=demo.pk).update(timezone="America/New_York")
    filters = metrics.Filters(
        date_from=date(2026, 3, 8), date_to=date(2026, 3, 8), tz="America/New_York"
    )
    kept, counted = both(filters)
    assert kept == counted
    assert ProgramFigures.objects.get(program=demo).zone == "America/New_York"


def test_crisis_contacts_are_read_for_counts_only(demo) -> None:
    from corespond.core.access import AccessGateBypassed, AggregateOnly

    metrics.compute(metrics.Filters(program_id=demo.pk, tz=demo.timezone), system_reason="t")
    with pytest.raises(AccessGateBypassed):
        list(CrisisContact.objects.all())
    counted = system(CrisisContact.objects.all(), reason="t", action=Action.AGGREGATE)
    assert counted.count() > 0
    with pytest.raises(AggregateOnly):
        list(counted.values_list("person_id", flat=True))


def test_the_metrics_command_refreshes_the_kept_figures(demo) -> None:
    from io import StringIO

    from django.core.management import call_command

    out = StringIO()
    call_command("metrics", "--refresh", stdout=out)
    assert "rows of day figures written" in out.getvalue()
    assert ProgramFigures.objects.filter(program=demo).exists()
    CallFactory(program=demo, agency=demo.agencies.order_by("pk").first(), received_at=END)
    assert StaleDay.objects.exists()
    call_command("metrics", "--refresh", stdout=StringIO())
    assert not StaleDay.objects.exists()
    out = StringIO()
    call_command("metrics", "--refresh", "--rewrite", stdout=out)
    written = int(out.getvalue().split(": ")[1].split()[0].replace(",", ""))
    assert written == DayFigures.objects.count() > 50


def test_a_program_added_later_is_written_whole_and_the_rest_stays(demo, world) -> None:
    from tests.factories import ProgramFactory

    filters = metrics.Filters(tz=demo.timezone)
    metrics.compute(filters, system_reason="test")
    late = ProgramFactory(slug="late", name="Late", timezone=demo.timezone)
    agency = demo.agencies.order_by("pk").first()
    late.agencies.add(agency)
    person = Person.objects.create(program=late, recorded_by_agency=agency, given_name="Lark")
    for day in (1, 20):  # two crises 19 days apart: a repeat
        call = CallFactory(program=late, agency=agency, received_at=END - timedelta(days=day))
        encounter = Encounter.objects.create(
            call=call, received_at=call.received_at, contact_outcome="engaged"
        )
        EncounterPerson.objects.create(encounter=encounter, person=person)
    kept, counted = both(filters)
    assert kept == counted
    alone = metrics.Filters(program_id=late.pk, tz=demo.timezone)
    kept, counted = both(alone)
    assert kept == counted
    assert kept["people.repeat_crisis_rate"]["numerator"] == 1
    assert ProgramFigures.objects.filter(program=late).exists()


def test_serve_keeps_the_figures_current_in_the_background(demo) -> None:
    """`corespond serve` runs keep_figures_current on a thread (every): a failing tick is
    logged and the next one runs."""
    import threading

    from corespond.core.management.commands.serve import every, keep_figures_current

    CallFactory(program=demo, agency=demo.agencies.order_by("pk").first(), received_at=END)
    assert StaleDay.objects.exists()
    assert keep_figures_current() > 0
    assert not StaleDay.objects.exists()
    assert keep_figures_current() == 0  # nothing changed: nothing written

    ticks: list[int] = []
    done = threading.Event()

    def job() -> None:
        ticks.append(1)
        if len(ticks) == 1:
            raise RuntimeError("the database went away for a moment")
        done.set()

    every(1, job, "test-tick")
    assert done.wait(10) and len(ticks) >= 2
