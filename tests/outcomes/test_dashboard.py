"""The dashboard: monthly figures agree with the catalog; charts are SVG images; evaluators
get no chart that would show a count under 11."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from corespond.outcomes import dashboard, metrics
from tests.journey import finish_encounter


def test_months_between_clips_the_first_and_last_month() -> None:
    assert dashboard.months_between(date(2026, 1, 15), date(2026, 3, 2)) == [
        (date(2026, 1, 15), date(2026, 1, 31)),
        (date(2026, 2, 1), date(2026, 2, 28)),
        (date(2026, 3, 1), date(2026, 3, 2)),
    ]


@pytest.fixture
def served(world):
    for name in ("Ash", "Birch", "Cedar"):
        finish_encounter(world, given_name=name)
    return world


def test_a_month_on_the_dashboard_is_the_catalog_for_that_month(served) -> None:
    today = timezone.localdate(timezone=served.program.tzinfo)  # the program's day
    filters = metrics.Filters(
        date_from=today - timedelta(days=40), date_to=today, program_id=served.program.pk
    )
    months = dashboard.monthly(filters, user=served.manny)
    this = months[-1]
    alone = metrics.compute(
        metrics.Filters(
            date_from=today.replace(day=1), date_to=today, program_id=served.program.pk
        ),
        user=served.manny,
    )
    assert this.calls == alone["calls.total"]["value"] == 3
    assert this.engaged_rate == alone["contact.engaged_rate"]["value"] == 1.0
    assert sum(m.calls for m in months) == 3


def test_the_page_and_its_charts(served) -> None:
    client = Client()
    client.force_login(served.manny)
    page = client.get(reverse("outcomes:dashboard"))
    assert page.status_code == 200
    html = page.content.decode()
    assert html.count("data-chart") == 5 and "Eligible calls served" in html
    for kind in ("calls", "response", "distribution", "dispositions", "care"):
        response = client.get(
            reverse("outcomes:chart", args=[kind]), {"program": served.program.pk}
        )
        assert response.status_code == 200 and response["Content-Type"] == "image/svg+xml"
        assert b"<svg" in response.content
    assert client.get(reverse("outcomes:chart", args=["pie"])).status_code == 404
    bad = client.get(
        reverse("outcomes:dashboard"), {"date_from": "2026-05-01", "date_to": "2026-01-01"}
    )
    assert bad.status_code == 400
    client.force_login(served.oscar)
    assert client.get(reverse("outcomes:dashboard")).status_code == 403
    assert client.get(reverse("outcomes:chart", args=["calls"])).status_code == 403


def test_evaluators_get_no_chart_of_small_counts(served) -> None:
    client = Client()
    client.force_login(served.eve)
    html = client.get(reverse("outcomes:dashboard")).content.decode()
    assert "&lt;11" in html  # three calls this month
    chart = client.get(reverse("outcomes:chart", args=["calls"])).content
    assert b"under 11" in chart


def test_the_distribution_chart_says_what_it_leaves_out() -> None:
    from corespond.outcomes import charts

    counts = [(10.0, 50), (20.0, 40), (3000.0, 1)]
    svg = charts.response_distribution(counts, 15.0, 20.0).decode()
    assert "1 longer than 60 min not drawn" in svg
