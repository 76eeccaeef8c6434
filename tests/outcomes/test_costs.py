"""The cost-offset model against a hand-priced set of encounters."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from corespond.field.models import Encounter
from corespond.outcomes import costs, metrics
from corespond.outcomes.models import CostAssumption
from tests.factories import CallFactory

K = CostAssumption.Key


@pytest.fixture
def ten_encounters(world):
    """Ten encounters of the medic team (no officer): 1 arrest, 2 ED, 7 home; one by EMS."""
    now = timezone.now() - timedelta(days=1)
    dispositions = ["arrest"] + ["emergency_department"] * 2 + ["remained_in_community"] * 7
    for i, disposition in enumerate(dispositions):
        call = CallFactory(program=world.program, agency=world.riverton, received_at=now)
        Encounter.objects.create(
            call=call,
            team=world.medic_team,
            received_at=now,
            disposition=disposition,
            contact_outcome="engaged",
            transported_by="ems" if i == 1 else "none",
        )
    costs.assumptions_install_defaults(program=world.program)
    return world


def set_(program, key, value, low=None, high=None) -> None:
    CostAssumption.objects.filter(program=program, key=key).update(
        value=value, low=low, high=high, source="test"
    )


def compute(world):
    return metrics.compute(metrics.Filters(program_id=world.program.pk), system_reason="test")


def test_with_the_cited_defaults_only_officer_time_is_priced(ten_encounters) -> None:
    m = compute(ten_encounters)
    # Ten calls without police, 60 police minutes each, $58 an hour.
    assert m["cost.officer_hours_returned"]["value"] == 580
    assert m["cost.arrests_avoided"] == {
        "value": None,
        "needs": [K.BASELINE_ARREST_RATE, K.JAIL_DAYS_PER_BOOKING],
    }
    total = m["cost.offsets_total"]
    assert (total["value"], total["low"], total["high"]) == (580, 580, 580)
    assert set(total["left_out"]) == {
        "cost.arrests_avoided",
        "cost.ed_visits_avoided",
        "cost.ambulance_transports_avoided",
    }
    assert m["cost.offsets_per_team_member_year"]["value"] is None
    assert metrics.display("cost.arrests_avoided", m["cost.arrests_avoided"], suppress=False) == (
        "not computed: needs baseline_arrest_rate, jail_days_per_booking"
    )


def test_every_component_matches_the_hand_pricing(ten_encounters) -> None:
    p = ten_encounters.program
    set_(p, K.BASELINE_ARREST_RATE, 0.2)
    set_(p, K.BOOKING_COST, 100)
    set_(p, K.JAIL_DAYS_PER_BOOKING, 3)
    set_(p, K.BASELINE_ED_RATE, 0.4)
    set_(p, K.BASELINE_AMBULANCE_RATE, 0.3)
    set_(p, K.AMBULANCE_TRANSPORT_COST, 500)
    set_(p, K.TEAM_FTE_YEARS, 2)
    m = compute(ten_encounters)

    def trio(name):
        c = m[name]
        return (c["value"], c["low"], c["high"])

    # Arrests: (0.2 - 1/10) x 10 = 1 avoided, x ($100 + 3 days x $88; $50 and $126 for the range)
    assert trio("cost.arrests_avoided") == (364, 250, 478)
    # ED: (0.4 - 2/10) x 10 = 2 avoided, x $630 (high $2,264)
    assert trio("cost.ed_visits_avoided") == (1260, 1260, 4528)
    # Ambulance: (0.3 - 1/10) x 10 = 2 avoided, x $500
    assert trio("cost.ambulance_transports_avoided") == (1000, 1000, 1000)
    assert trio("cost.offsets_total") == (3204, 3090, 6586)
    assert trio("cost.offsets_per_team_member_year") == (1602, 1545, 3293)
    assert m["cost.offsets_total"]["left_out"] == []
    assert metrics.display("cost.offsets_total", m["cost.offsets_total"], suppress=False) == (
        "$3,204 (range $3,090 to $6,586)"
    )


def test_a_program_worse_than_its_baseline_shows_a_negative_offset(ten_encounters) -> None:
    set_(ten_encounters.program, K.BASELINE_ED_RATE, 0.1)  # the program's own ED rate is 0.2
    m = compute(ten_encounters)
    assert m["cost.ed_visits_avoided"]["value"] == -630


def test_defaults_cite_their_source_and_are_never_overwritten(world) -> None:
    costs.assumptions_install_defaults(program=world.program)
    ed = CostAssumption.objects.get(program=world.program, key=K.ED_VISIT_COST)
    assert (ed.value, ed.low, ed.high) == (630, 630, 2264) and "AHRQ" in ed.source
    ed.value = 700
    ed.save()
    assert costs.assumptions_install_defaults(program=world.program) == []
    assert CostAssumption.objects.get(pk=ed.pk).value == 700


def test_the_cost_model_needs_one_program(world, ten_encounters) -> None:
    # Two programs exist (Riverside and Elsewhere): without a program filter no cost figures.
    m = metrics.compute(metrics.Filters(), system_reason="test")
    assert "cost.offsets_total" not in m
