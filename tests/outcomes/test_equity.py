"""Outcomes by race/ethnicity, age band, sex/gender and area, against a hand count."""

from __future__ import annotations

import zoneinfo
from datetime import date, datetime

import pytest
from django.test import Client
from django.urls import reverse

from corespond.field.models import Encounter, EncounterPerson
from corespond.outcomes import equity, metrics
from corespond.people.models import Person
from tests.factories import CallFactory

LA = zoneinfo.ZoneInfo("America/Los_Angeles")
WHEN = datetime(2026, 3, 10, 12, tzinfo=LA)


@pytest.fixture
def groups(world):
    def person(race, sex, born):
        return Person.objects.create(
            program=world.program,
            recorded_by_agency=world.riverton,
            given_name="P",
            race_ethnicity=race,
            sex=sex,
            birth_date=born,
        )

    def encounter(subject, zone, disposition, outcome="engaged", hold=False):
        call = CallFactory(
            program=world.program, agency=world.riverton, received_at=WHEN, zone=zone
        )
        e = Encounter.objects.create(
            call=call,
            received_at=WHEN,
            contact_outcome=outcome,
            disposition=disposition,
            involuntary_hold=hold,
        )
        if subject is not None:
            EncounterPerson.objects.create(encounter=e, person=subject)

    a = person("Black", "female", date(2000, 3, 11))  # 25 on the day before her birthday
    b = person("white", "male", date(1960, 1, 1))  # 66
    c = person("", "", None)
    encounter(a, "North", "remained_in_community")
    encounter(a, "North", "arrest")
    encounter(b, "South", "emergency_department", hold=True)
    encounter(c, "", "remained_in_community", outcome="refused")
    encounter(None, "South", "crisis_facility")  # nobody recorded
    return world


def test_the_breakdown_matches_the_hand_count(groups) -> None:
    result = equity.breakdown(metrics.Filters(program_id=groups.program.pk), system_reason="test")
    race = result["race_ethnicity"]
    assert list(race["groups"]) == ["black", "white", "unknown"]
    black = race["groups"]["black"]
    assert black["encounters"] == {"value": 2}
    assert black["arrest_rate"] == {"value": 0.5, "numerator": 1, "denominator": 2}
    assert black["diversion_rate"]["numerator"] == 1
    assert race["groups"]["white"]["involuntary_hold_rate"]["value"] == 1.0
    # Unknown: Cedar (no race recorded) and the encounter with nobody recorded.
    assert race["unknown"] == {"value": 0.4, "numerator": 2, "denominator": 5}
    unknown = race["groups"]["unknown"]
    assert unknown["engaged_rate"] == {"value": 0.5, "numerator": 1, "denominator": 2}
    ages = result["age_band"]["groups"]
    assert (
        ages["25-34"]["encounters"]["value"] == 2
        and ages["65 and over"]["encounters"]["value"] == 1
    )
    assert result["area"]["groups"]["South"]["encounters"]["value"] == 2
    assert result["area"]["unknown"]["numerator"] == 1


@pytest.mark.parametrize(
    ("born", "expected"),
    [(date(2008, 3, 11), "under 18"), (date(2008, 3, 10), "18-24"), (None, "unknown")],
)
def test_age_is_counted_on_the_day_of_the_call(born, expected) -> None:
    assert equity.age_band(born, WHEN) == expected


def test_evaluators_see_groups_with_small_counts_hidden(groups) -> None:
    client = Client()
    client.force_login(groups.eve)
    html = client.get(
        reverse("outcomes:dashboard"),
        {"program": groups.program.pk, "date_from": "2026-03-01", "date_to": "2026-03-31"},
    ).content.decode()
    assert 'data-testid="equity-race_ethnicity"' in html
    assert "&lt;11" in html and "suppressed" in html
