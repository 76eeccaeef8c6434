"""The metric catalog against a small, hand-counted set of records (conftest.py)."""

from __future__ import annotations

import json
from datetime import date, timedelta
from io import StringIO

import pytest
from django.core.management import call_command

from corespond.core.access import AggregateOnly
from corespond.dispatch.models import Assignment
from corespond.field.models import Encounter
from corespond.outcomes import metrics
from tests.outcomes.conftest import DAY, at, compute, triaged_call


def test_call_metrics_match_the_hand_count(records) -> None:
    m = compute(records)
    assert m["calls.total"]["value"] == 6
    assert m["calls.behavioral_health"]["value"] == 5
    assert m["calls.eligible"]["value"] == 5
    assert m["calls.eligible_served_rate"] == {"value": 0.6, "numerator": 3, "denominator": 5}
    assert m["calls.eligible_unserved_by_reason"]["value"] == {
        "no_team_free": 1,
        "outside_hours": 0,
        "cancelled": 0,
        "declined": 0,
        "other": 0,
        "not_recorded": 1,
        "waiting": 0,
    }
    assert m["calls.eligible_outside_hours_share"]["numerator"] == 1


def test_response_percentiles_use_linear_interpolation_and_skip_negative_intervals(records) -> None:
    m = compute(records)
    assert m["response.queue_minutes.p50"] == {"value": 10.0, "n": 3}
    assert m["response.queue_minutes.p90"]["value"] == pytest.approx(18.0)
    assert m["response.travel_minutes.p50"]["value"] == pytest.approx(15.0)
    assert m["response.travel_minutes.p90"]["value"] == pytest.approx(19.0)
    assert m["response.response_minutes.p50"]["value"] == pytest.approx(30.0)
    assert m["response.on_scene_minutes.p50"] == {"value": 30.0, "n": 1}
    assert m["response.negative_intervals"]["value"] == 1


def test_contact_and_disposition_rates_match_the_hand_count(records) -> None:
    m = compute(records)
    assert m["contact.engaged_rate"] == {"value": 2 / 3, "numerator": 2, "denominator": 3}
    assert m["contact.unable_to_locate_rate"]["numerator"] == 1
    assert m["disposition.share.emergency_department"]["value"] == 0.5
    assert m["disposition.share.arrest"]["value"] == 0.0
    assert m["outcome.no_arrest_rate"]["value"] == 1.0
    assert m["outcome.diversion_rate"] == {"value": 0.5, "numerator": 1, "denominator": 2}
    assert m["outcome.involuntary_hold_rate"]["value"] == 0.5
    assert m["care.service_provided_rate"] == {"value": 0.5, "numerator": 1, "denominator": 2}


def test_rates_with_no_denominator_say_no_data(world) -> None:
    m = compute(world)
    assert m["calls.eligible_served_rate"] == {"value": None, "numerator": 0, "denominator": 0}
    assert metrics.display("x", m["calls.eligible_served_rate"], suppress=False) == "no data"
    assert m["response.queue_minutes.p50"] == {"value": None, "n": 0}


def test_evaluator_gets_the_same_numbers_as_the_program_manager(records) -> None:
    assert compute(records, user=records.eve) == compute(records, user=records.manny)


def test_outsider_gets_zeros(records) -> None:
    assert compute(records, user=records.olga)["calls.total"]["value"] == 0


def test_small_counts_are_suppressed_for_evaluators() -> None:
    metric = {"value": 0.5, "numerator": 4, "denominator": 8}
    assert metrics.display("x", metric, suppress=True) == "suppressed (<11)"
    assert metrics.display("x", {"value": 7}, suppress=True) == "<11"
    assert metrics.display("x", {"value": 700}, suppress=True) == "700"
    assert "50.0%" in metrics.display("x", metric, suppress=False)


@pytest.mark.parametrize(
    ("values", "pct", "expected"),
    [
        ([1.0], 90, 1.0),
        ([1.0, 2.0], 50, 1.5),
        ([5.0, 10.0, 20.0], 90, 18.0),
        ([1.0, 2.0, 3.0, 4.0], 90, 3.7),
        ([], 50, None),
    ],
)
def test_percentile_matches_numpys_default(values, pct, expected) -> None:
    assert metrics.percentile(values, pct) == (
        None if expected is None else pytest.approx(expected)
    )


@pytest.mark.parametrize("seed", range(20))
def test_percentiles_from_grouped_counts_equal_those_of_the_values(seed) -> None:
    """The catalog takes percentiles from (value, count) pairs grouped in the database; they
    must equal the percentiles of the values written out, ties and all."""
    import random
    from collections import Counter

    rng = random.Random(seed)
    values = sorted(float(rng.randint(0, 30)) for _ in range(rng.randint(1, 60)))
    counts = sorted(Counter(values).items())
    for pct in (1, 10, 50, 90, 99, 100):
        assert metrics.weighted_percentile(counts, pct) == pytest.approx(
            metrics.percentile(values, pct)
        )
    assert metrics.weighted_percentile([], 50) is None


def test_metrics_command_prints_json_keyed_by_metric_id(records) -> None:
    out = StringIO()
    call_command(
        "metrics",
        "--program",
        "riverside",
        "--from",
        "2026-03-10",
        "--to",
        "2026-03-10",
        "--format",
        "json",
        stdout=out,
    )
    data = json.loads(out.getvalue())
    assert data["calls.total"] == {"value": 6}
    assert data["calls.eligible_served_rate"] == {"value": 0.6, "numerator": 3, "denominator": 5}


def test_metrics_command_csv_and_table(records) -> None:
    out = StringIO()
    call_command("metrics", "--format", "csv", stdout=out)
    assert out.getvalue().splitlines()[0] == "metric,value,numerator,denominator,n"
    out = StringIO()
    call_command("metrics", stdout=out)
    assert "calls.total" in out.getvalue()


def test_metrics_command_refuses_bad_dates_clearly(world) -> None:
    from django.core.management.base import CommandError

    with pytest.raises(CommandError, match="YYYY-MM-DD"):
        call_command("metrics", "--from", "10/03/2026")
    with pytest.raises(CommandError, match="on or before"):
        call_command("metrics", "--from", "2026-03-10", "--to", "2026-03-01")
    with pytest.raises(CommandError, match="Not found"):
        call_command("metrics", "--program", "nope")


def test_aggregate_access_cannot_be_used_to_read_rows(records) -> None:
    from corespond.core.access import Action, restrict
    from corespond.intake.models import Call

    with pytest.raises(AggregateOnly):
        list(restrict(Call.objects.all(), records.manny, action=Action.AGGREGATE))


def test_a_referral_counts_as_a_service_provided(records) -> None:
    from corespond.care.models import Referral, Resource
    from corespond.core.access import system
    from corespond.people.models import Person

    engaged_without_service = system(Encounter.objects.all(), reason="t").get(
        disposition="emergency_department"
    )
    person = Person.objects.create(
        program=records.program, recorded_by_agency=records.harbor, given_name="Ash"
    )
    resource = Resource.objects.create(
        program=records.program, organization="Harbor", name="Clinic", category="medical"
    )
    Referral.objects.create(
        person=person,
        encounter=engaged_without_service,
        resource=resource,
        status_changed_at=at(13),
        created_at=at(13),
    )
    m = compute(records)
    assert m["care.service_provided_rate"] == {"value": 1.0, "numerator": 2, "denominator": 2}


def test_follow_up_on_time_rate_counts_first_attempts_inside_the_window(records) -> None:
    from corespond.care.models import FollowUp, FollowUpAttempt
    from corespond.core.access import system

    encounters = list(system(Encounter.objects.order_by("pk"), reason="t"))
    window = timedelta(hours=72)
    on_time = FollowUp.objects.create(
        encounter=encounters[0], created_at=at(11), due_at=at(11) + window
    )
    FollowUpAttempt.objects.create(
        followup=on_time, at=at(11) + timedelta(hours=5), method="phone", reached=False
    )
    late = FollowUp.objects.create(
        encounter=encounters[1], created_at=at(13), due_at=at(13) + window
    )
    FollowUpAttempt.objects.create(
        followup=late, at=at(13) + timedelta(hours=80), method="visit", reached=False
    )
    FollowUp.objects.create(  # no attempt yet and due: counts against
        encounter=encounters[2], created_at=at(14), due_at=at(14) + window
    )
    m = compute(records)
    assert m["care.followup_on_time_rate"] == {"value": 1 / 3, "numerator": 1, "denominator": 3}


def test_waiting_calls_are_shown_apart_from_unrecorded_reasons(records) -> None:
    triaged_call(records, at(17), status="waiting")
    by_reason = compute(records)["calls.eligible_unserved_by_reason"]["value"]
    assert (by_reason["waiting"], by_reason["not_recorded"]) == (1, 1)


def test_team_filter_counts_a_call_once_even_with_two_assignments(records) -> None:
    from corespond.core.access import system

    call = system(Encounter.objects.all(), reason="t").get(disposition="remained_in_community").call
    Assignment.objects.create(call=call, team=records.team, assigned_at=at(10), cleared_at=at(10))
    filters = metrics.Filters(
        date_from=DAY, date_to=DAY, team_id=records.team.pk, tz="America/Los_Angeles"
    )
    m = metrics.compute(filters, system_reason="test")
    assert m["calls.total"]["value"] == 3
    assert m["contact.engaged_rate"]["denominator"] == 3


def test_percentiles_over_fewer_than_eleven_intervals_are_suppressed_for_evaluators() -> None:
    metric = {"value": 12.5, "n": 4}
    name = "response.queue_minutes.p50"
    assert metrics.display(name, metric, suppress=True) == "suppressed (n<11)"
    assert metrics.display(name, metric, suppress=False) == "12.5 min (n=4)"
    assert metrics.display("staff.calls_per_shift.p50", metric, suppress=False) == "12.5 (n=4)"


def test_dates_outside_the_supported_range_are_refused() -> None:
    with pytest.raises(ValueError, match="between 2000-01-01"):
        metrics.Filters(date_to=date(9999, 12, 31))


def test_metrics_command_and_page_refuse_far_dates(world) -> None:
    from django.core.management.base import CommandError
    from django.test import Client

    with pytest.raises(CommandError, match="between 2000-01-01"):
        call_command("metrics", "--to", "9999-12-31")
    client = Client()
    client.force_login(world.manny)
    response = client.get("/outcomes/metrics/", {"date_to": "9999-12-31"})
    assert response.status_code == 400
    assert b"between 2000-01-01" in response.content


def test_a_rate_whose_complement_is_small_is_suppressed_too() -> None:
    no_arrest = {"value": 17 / 20, "numerator": 17, "denominator": 20}
    assert metrics.display("x", no_arrest, suppress=True) == "suppressed (<11)"
    wide = {"value": 0.5, "numerator": 50, "denominator": 100}
    assert metrics.display("x", wide, suppress=True) == "50.0% (50 of 100)"


def test_a_lone_small_cell_in_a_breakdown_takes_the_next_smallest_with_it() -> None:
    breakdown = {"value": {"no_team_free": 40, "cancelled": 3, "declined": 25, "other": 0}}
    text = metrics.display("x", breakdown, suppress=True)
    assert text == "no team free: 40, cancelled: <11, declined: <11, other: 0"
    assert metrics.display("x", breakdown, suppress=False).startswith(
        "no team free: 40, cancelled: 3"
    )


def test_a_tapped_intervention_counts_as_a_service_provided(records) -> None:
    from corespond.core.access import system
    from corespond.field.models import Intervention

    engaged_without_service = system(Encounter.objects.all(), reason="t").get(
        disposition="emergency_department"
    )
    Intervention.objects.create(
        encounter=engaged_without_service, kind="de_escalation", recorded_at=at(12, 40)
    )
    m = compute(records)
    assert m["care.service_provided_rate"] == {"value": 1.0, "numerator": 2, "denominator": 2}


def test_referral_closed_loop_and_completed_rates_match_the_hand_count(records) -> None:
    from django.utils import timezone

    from corespond.care.models import Referral, Resource
    from corespond.core.access import system
    from corespond.people.models import Person

    e1 = system(Encounter.objects.all(), reason="t").get(disposition="remained_in_community")
    e2 = system(Encounter.objects.all(), reason="t").get(disposition="emergency_department")
    person = Person.objects.create(
        program=records.program, recorded_by_agency=records.harbor, given_name="Ash"
    )
    resource = Resource.objects.create(
        program=records.program, organization="Harbor", name="Clinic", category="medical"
    )
    recent = timezone.now() - timedelta(days=2)
    for encounter, status, made in [
        (e1, "completed", at(13)),  # old, closed, completed
        (e2, "failed", at(13)),  # old, closed
        (e2, "requested", at(13)),  # old, still open: the loop did not close
        (e1, "cancelled", at(13)),  # old, closed
        (e1, "accepted", recent),  # inside its window: not counted as old
        (e1, "completed", recent),  # inside its window, closed, completed
        (e2, "entered-in-error", at(13)),  # counts nowhere
    ]:
        Referral.objects.create(
            person=person,
            encounter=encounter,
            resource=resource,
            status=status,
            status_changed_at=made,
            created_at=made,
        )
    m = compute(records)
    # Old (30-day window): 4, of which closed: 3. Closed at any age: 4, completed: 2.
    assert m["care.referral_closed_loop_rate"] == {"value": 0.75, "numerator": 3, "denominator": 4}
    assert m["care.referral_completed_rate"] == {"value": 0.5, "numerator": 2, "denominator": 4}
    # The window is the program's: a longer one leaves no referral old enough to judge.
    records.program.referral_closing_days = 4000
    records.program.save()
    m = compute(records)
    assert m["care.referral_closed_loop_rate"]["denominator"] == 0
    assert m["care.referral_completed_rate"]["denominator"] == 4


def test_follow_up_connected_rate_counts_only_final_outcomes(records) -> None:
    from corespond.care.models import FollowUp
    from corespond.core.access import system

    encounters = list(system(Encounter.objects.order_by("pk"), reason="t"))
    for encounter, outcome in zip(
        encounters, ["contacted_connected", "contacted_declined", "pending"], strict=True
    ):
        FollowUp.objects.create(
            encounter=encounter,
            created_at=at(11),
            due_at=at(11) + timedelta(hours=72),
            outcome=outcome,
        )
    m = compute(records)
    assert m["care.followup_connected_rate"] == {"value": 0.5, "numerator": 1, "denominator": 2}
