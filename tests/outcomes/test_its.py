"""The before/after analysis recovers a known change in level and trend."""

from __future__ import annotations

from datetime import date

import pytest
from django.test import Client
from django.urls import reverse

from corespond.outcomes import its
from corespond.outcomes.dashboard import Month


def months(rates: list[float], first: date = date(2025, 1, 1)) -> list[Month]:
    out = []
    for i, rate in enumerate(rates):
        year, month = divmod(first.month - 1 + i, 12)
        out.append(
            Month(
                start=date(first.year + year, month + 1, 1),
                calls=100,
                eligible=50,
                served=40,
                response_p50=20.0,
                engaged_rate=None,
                diversion_rate=rate,
                connected_rate=None,
            )
        )
    return out


def test_a_known_step_and_slope_change_is_recovered() -> None:
    # Before: 0.40 rising 0.01 a month; after launch (month 12) a step of +0.10 and the
    # trend rising 0.02 a month more. Exact data: the fit is exact, the intervals tight.
    rates = [0.40 + 0.01 * t for t in range(12)]
    rates += [0.40 + 0.01 * t + 0.10 + 0.02 * (t - 12) for t in range(12, 24)]
    result = its.fit(months(rates), date(2026, 1, 15), "outcome.diversion_rate")
    assert (result.months_before, result.months_after) == (12, 12)
    assert result.level_change.value == pytest.approx(0.10)
    assert result.slope_change.value == pytest.approx(0.02)
    assert result.baseline_slope.value == pytest.approx(0.01)
    assert result.level_change.low == pytest.approx(0.10, abs=1e-6)
    # The pre-launch trend carried on: 0.40 + 0.01 * 23 in the last month.
    assert result.counterfactual[-1] == pytest.approx(0.63)
    assert result.counterfactual[0] is None


def test_noise_gives_an_interval_that_holds_the_truth() -> None:
    import random

    rng = random.Random(3)
    rates = [0.5 + rng.gauss(0, 0.02) for _ in range(12)]
    rates += [0.6 + rng.gauss(0, 0.02) for _ in range(12)]
    result = its.fit(months(rates), date(2026, 1, 1), "outcome.diversion_rate")
    assert result.level_change.low < 0.10 < result.level_change.high
    assert result.level_change.low > 0  # the step is clear of zero


def test_too_few_months_on_a_side_is_said_plainly() -> None:
    with pytest.raises(its.NotEnoughData, match="at least 3 months"):
        its.fit(months([0.5] * 5), date(2025, 4, 1), "outcome.diversion_rate")


def test_the_dashboard_shows_the_analysis_when_the_launch_is_in_the_period(world) -> None:
    from tests.journey import finish_encounter

    finish_encounter(world)
    world.program.launch_date = date(2026, 6, 1)
    world.program.save()
    client = Client()
    client.force_login(world.manny)
    url = reverse("outcomes:dashboard")
    inside = client.get(url, {"date_from": "2026-01-01", "date_to": "2026-11-30"}).content.decode()
    assert "Before and after the launch" in inside
    # With one month of data there is not enough for a fit: it says so, per rate.
    assert "needs at least 3 months with data on each side" in inside
    outside = client.get(url, {"date_from": "2026-07-01", "date_to": "2026-11-30"}).content
    assert b"starts before and ends after the launch date" in outside
    chart = client.get(reverse("outcomes:chart", args=["its-diversion"]))
    assert chart.status_code == 200 and b"<svg" in chart.content
