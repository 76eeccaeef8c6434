"""The people.*, police.* and staff.* metrics against a small hand-counted set of records."""

from __future__ import annotations

import zoneinfo
from datetime import date, datetime, timedelta

import pytest

from corespond.care.models import FollowUp
from corespond.core.access import system
from corespond.dispatch.models import Shift
from corespond.field.models import Encounter, EncounterPerson
from corespond.intake.models import Call
from corespond.outcomes import metrics
from corespond.people.models import Person
from tests.factories import CallFactory

LA = zoneinfo.ZoneInfo("America/Los_Angeles")
START = date(2026, 3, 1)


def at(day: int, hour: int = 10, minute: int = 0) -> datetime:
    """``day`` days after 1 March 2026, local time."""
    base = datetime(START.year, START.month, START.day, hour, minute, tzinfo=LA)
    return base + timedelta(days=day)


@pytest.fixture
def history(world):
    people = {
        name: Person.objects.create(
            program=world.program, recorded_by_agency=world.riverton, given_name=name
        )
        for name in ("Ash", "Birch", "Cedar", "Dale")
    }

    def encounter(person, day, *, team=None, outcome="engaged", bh=True, hours=1.5, **flags):
        call = CallFactory(
            program=world.program,
            agency=world.riverton,
            received_at=at(day),
            status="closed",
            behavioral_health=bh,
        )
        e = Encounter.objects.create(
            call=call,
            team=team,
            received_at=at(day),
            dispatched_at=at(day, 10, 5),
            arrived_at=at(day, 10, 20),
            cleared_at=at(day, 10, 20) + timedelta(hours=hours),
            contact_outcome=outcome,
            disposition="remained_in_community",
            **flags,
        )
        EncounterPerson.objects.create(encounter=e, person=person)
        return e

    # Ash: three crises within 90 days (days 1, 40, 60): served, a repeat, a frequent utilizer.
    e1 = encounter(people["Ash"], 1, team=world.team, involuntary_hold=True)
    encounter(people["Ash"], 40, team=world.team, hours=0.5)
    encounter(people["Ash"], 60, team=world.medic_team)
    # Birch: once in the period; the next crisis 200 days earlier is too far for a repeat.
    encounter(people["Birch"], 5, team=world.medic_team, use_of_force=True)
    encounter(people["Birch"], -200, team=world.medic_team)
    # Cedar: not reached, so not served.
    encounter(people["Cedar"], 10, team=world.team, outcome="unable_to_locate", bh=False)
    # Dale: one engaged contact before the period, one inside: a repeat (within 90 days).
    encounter(people["Dale"], -30, team=world.team)
    encounter(people["Dale"], 20, team=world.team)
    # Critical incidents: the hold reviewed the next day, the use of force after five days.
    system(Encounter.objects.filter(pk=e1.pk), reason="t", action="change").update(
        critical_reviewed_at=at(2)
    )
    system(Encounter.objects.filter(use_of_force=True), reason="t", action="change").update(
        critical_reviewed_at=at(10)
    )
    # Ash enrolled in outreach on day 45: contacts 182 days before (days 1, 40) and after (60).
    FollowUp.objects.create(
        encounter=e1, person=people["Ash"], kind="outreach", created_at=at(45), due_at=at(48)
    )
    # CR-1 shifts: day 1 and day 40 (one encounter each), day 20 (Dale's) and day 10 (Cedar's).
    for day in (1, 10, 20, 40):
        Shift.objects.create(team=world.team, starts_at=at(day, 8), ends_at=at(day, 18))
    return world


def compute(world):
    filters = metrics.Filters(
        date_from=START,
        date_to=START + timedelta(days=89),
        program_id=world.program.pk,
        tz="America/Los_Angeles",
    )
    return metrics.compute(filters, system_reason="test")


def test_people_metrics_match_the_hand_count(history) -> None:
    m = compute(history)
    # Served in the period (engaged): Ash, Birch, Dale. Repeats: Ash and Dale.
    assert m["people.served"] == {"value": 3}
    assert m["people.repeat_crisis_rate"] == {"value": 2 / 3, "numerator": 2, "denominator": 3}
    # On the period's last day (day 89) Ash has 3 contacts in 90 days (days 1, 40, 60).
    assert m["people.frequent_utilizers"] == {"value": 1}
    change = m["people.repeat_contacts_change"]
    assert (change["before"], change["after"], change["people"], change["value"]) == (2, 1, 1, -1)


def test_police_time_matches_the_hand_count(history) -> None:
    m = compute(history)
    # CR-1 carries one officer. Behavioural-health calls on scene: Ash day 1 (1.5 h), Ash
    # day 40 (0.5 h), Dale day 20 (1.5 h); Cedar's call was not behavioural-health.
    assert m["police.officer_hours_bh"] == {"value": 3.5}
    # CM-1 has no officer: Ash day 60 and Birch day 5, at 60 police minutes each.
    assert m["police.officer_hours_returned"] == {
        "value": 2.0,
        "calls_without_police": 2,
        "co_response_early_clears": 0,
    }
    assert m["police.officer_early_clear_rate"] == {"value": 0.0, "numerator": 0, "denominator": 4}


def test_an_officer_leaving_before_the_clinician_returns_officer_time(history) -> None:
    """Dale, day 20: the officer clears an hour after arrival; the clinician stays another
    half hour. CR-1 is a co-response team (Oscar, officer; Clara, clinician)."""
    dale = system(Encounter.objects.filter(received_at=at(20)), reason="t", action="change")
    dale.update(officer_cleared_at=at(20, 11, 20))
    m = compute(history)
    assert m["police.officer_hours_bh"] == {"value": 3.0}  # 1.5 + 0.5 + 1.0
    assert m["police.officer_hours_returned"]["value"] == 2.5  # 2.0 without police + 0.5
    assert m["police.officer_early_clear_rate"] == {
        "value": 0.25,
        "numerator": 1,
        "denominator": 4,  # CR-1's encounters in the period with arrival and clearance
    }


def test_staff_metrics_match_the_hand_count(history) -> None:
    m = compute(history)
    assert m["staff.critical_incidents_debriefed_rate"] == {
        "value": 0.5,
        "numerator": 1,
        "denominator": 2,
    }
    # Shifts with encounters: days 1, 10, 20, 40 with one each.
    assert m["staff.calls_per_shift.p50"] == {"value": 1.0, "n": 4}


def test_the_new_metrics_print_in_every_format(history) -> None:
    from io import StringIO

    from django.core.management import call_command

    args = ["--program", "riverside", "--from", "2026-03-01", "--to", "2026-05-29"]
    out = StringIO()
    call_command("metrics", *args, "--format", "table", stdout=out)
    lines = {line.split()[0]: line.split()[1:] for line in out.getvalue().splitlines() if line}
    assert lines["people.served"] == ["3"]
    assert lines["police.officer_hours_bh"] == ["3.5"]
    assert lines["people.repeat_contacts_change"] == ["-1"]
    out = StringIO()
    call_command("metrics", *args, "--format", "json", stdout=out)
    import json

    data = json.loads(out.getvalue())
    assert data["people.repeat_crisis_rate"]["numerator"] == 2


@pytest.mark.parametrize("seed", range(4))
def test_encounters_per_shift_are_exact_with_shifts_off_the_hour(world, seed) -> None:
    """Counted per hour in the database and per shift here: the same counts as testing every
    dispatch time against every shift, whatever minute the shifts start and end on."""
    import random

    rng = random.Random(seed)
    base = datetime(2026, 3, 1, 6, 0, tzinfo=LA)
    shifts = []
    start = base + timedelta(minutes=rng.choice([0, 7, 30]))
    for _ in range(6):
        length = timedelta(minutes=rng.choice([45, 300, 600, 720]))
        shifts.append(
            Shift.objects.create(team=world.team, starts_at=start, ends_at=start + length)
        )
        start += length + timedelta(minutes=rng.choice([0, 0, 13]))
    times = [base + timedelta(minutes=rng.randrange(0, 60 * 60)) for _ in range(80)]
    for when in times:
        call = CallFactory(program=world.program, agency=world.riverton, received_at=when)
        Encounter(call=call, team=world.team, received_at=when, dispatched_at=when).save()
    expected = {
        s.pk: n for s in shifts if (n := sum(1 for t in times if s.starts_at <= t < s.ends_at))
    }
    dispatched = system(Encounter.objects.filter(team=world.team), reason="test")
    rows = [(s.pk, s.team_id, s.starts_at, s.ends_at) for s in shifts]
    calls = system(Call.objects.filter(program=world.program), reason="test")
    hourly = metrics._hourly(metrics.partials(calls, dispatched, dispatched)[()])
    assert metrics._per_shift(hourly, dispatched, rows) == expected
    assert len(expected) >= 3


def test_training_current_counts_team_members_holding_every_required_course(history) -> None:
    """CR-1 seats Oscar and Clara, CM-1 a medic team: the program requires two courses."""
    from corespond.dispatch.models import TeamMember, Training

    assert compute(history)["staff.training_current_rate"]["value"] is None  # none required
    program = history.program
    program.required_training = ["cit-40h", "cssrs"]
    program.save()
    members = set(
        TeamMember.objects.filter(team__program=program).values_list("user_id", flat=True)
    )
    end = START + timedelta(days=89)
    for user in (history.oscar, history.clara):
        Training.objects.create(user=user, course="cit-40h", completed_on=date(2025, 6, 1))
    # Clara's C-SSRS counts through the period's last day; Oscar's lapsed the day before.
    Training.objects.create(
        user=history.clara, course="cssrs", completed_on=date(2025, 1, 5), expires_on=end
    )
    Training.objects.create(
        user=history.oscar,
        course="cssrs",
        completed_on=date(2024, 1, 5),
        expires_on=end - timedelta(days=1),
    )
    assert compute(history)["staff.training_current_rate"] == {
        "value": 1 / len(members),
        "numerator": 1,
        "denominator": len(members),
    }


def test_training_current_follows_the_team_agency_and_response_type_filters(history) -> None:
    """Kim sits on CM-1 (Harbor's clinician-medic team) with no courses; Clara (CR-1) holds
    both. The filters choose teams; a user who may not count Riverside gets nothing of it."""
    from corespond.dispatch.models import Training
    from tests.factories import TeamMemberFactory

    program = history.program
    program.required_training = ["cit-40h"]
    program.save()
    TeamMemberFactory(team=history.medic_team, user=history.kim, role="case_manager")
    Training.objects.create(user=history.clara, course="cit-40h", completed_on=date(2025, 6, 1))

    def training(user=None, **narrower):
        filters = metrics.Filters(
            date_from=START,
            date_to=START + timedelta(days=89),
            program_id=program.pk,
            tz="America/Los_Angeles",
            **narrower,
        )
        found = metrics.compute(filters, user=user, system_reason="test")
        return found["staff.training_current_rate"]

    assert (training()["numerator"], training()["denominator"]) == (1, 3)  # Oscar, Clara, Kim
    cr1 = training(team_id=history.team.pk)
    assert (cr1["numerator"], cr1["denominator"]) == (1, 2)
    cm1 = training(team_id=history.medic_team.pk)
    assert (cm1["numerator"], cm1["denominator"]) == (0, 1)
    harbor = training(agency_id=history.harbor.pk)  # CM-1 is Harbor's; CR-1 is Riverton's
    assert (harbor["numerator"], harbor["denominator"]) == (0, 1)
    medic = training(response_type=history.medic_team.response_type)
    assert (medic["numerator"], medic["denominator"]) == (0, 1)
    assert training(user=history.olga)["value"] is None  # another program's dispatcher


def test_a_caller_or_relative_linked_to_encounters_is_not_a_person_served(history) -> None:
    """Eli called about Ash twice and about Dale once: three engaged encounters, no crisis
    of Eli's own. People counts and the outreach rule leave Eli out."""
    from corespond.care.selectors import outreach_list

    before = compute(history)
    eli = Person.objects.create(
        program=history.program, recorded_by_agency=history.riverton, given_name="Eli"
    )
    for e in system(Encounter.objects.filter(received_at__in=[at(1), at(40), at(20)]), reason="t"):
        EncounterPerson.objects.create(encounter=e, person=eli, involvement="caller")
    after = compute(history)
    for metric in ("people.served", "people.repeat_crisis_rate", "people.frequent_utilizers"):
        assert after[metric] == before[metric], metric
    listed = outreach_list(user=history.clara, program=history.program, now=at(60))
    assert eli.pk not in {row.person.pk for row in listed}
