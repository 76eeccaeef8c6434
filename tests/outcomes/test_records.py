"""The records behind a number: the same records the catalog counted, through the gate, and
de-identified (or withheld) for evaluators."""

from __future__ import annotations

import re

import pytest
from django.urls import reverse

from corespond.core.models import AuditEvent
from corespond.field.models import Encounter
from corespond.intake.models import Call
from corespond.outcomes import metrics
from corespond.outcomes import records as drill
from tests.factories import UserFactory
from tests.outcomes.conftest import DAY, at, compute, triaged_call

pytestmark = pytest.mark.django_db


def _filters(world) -> metrics.Filters:
    return metrics.Filters(
        date_from=DAY, date_to=DAY, program_id=world.program.pk, tz="America/Los_Angeles"
    )


def _expected(metric: dict) -> tuple[int, int | None]:
    if "denominator" in metric:
        return metric["numerator"], metric["denominator"]
    return metric.get("n", metric["value"]), None


def test_every_listed_number_lists_exactly_the_records_it_counted(records) -> None:
    """For every metric with records, the rows listed (by someone who may read them all)
    are as many as the catalog counted, for its numerator and its denominator."""
    admin = UserFactory(username="root", is_superuser=True)
    values = compute(records)
    sets = drill.drillable()
    assert {"calls.eligible_served_rate", "outcome.diversion_rate"} <= sets
    checked = 0
    for metric_id in sorted(sets):
        numerator, denominator = _expected(values[metric_id])
        found = drill.records(_filters(records), metric_id, user=admin, deidentified=False)
        assert found.total == numerator, metric_id
        assert found.page is not None and found.page.paginator.count == numerator, metric_id
        if denominator is not None:
            below = drill.records(
                _filters(records), metric_id, part="denominator", user=admin, deidentified=False
            )
            assert below.total == denominator, metric_id
        checked += 1
    assert checked == len(sets)


def test_a_program_manager_opens_the_records_through_the_gate(records, client) -> None:
    client.force_login(records.manny)
    url = reverse("outcomes:records")
    query = f"?metric=outcome.ed_rate&program={records.program.pk}&date_from={DAY}&date_to={DAY}"
    response = client.get(url + query)
    assert response.status_code == 200
    html = response.content.decode()
    call = Call._base_manager.get(received_at=at(12))
    assert call.reference in html  # the one ED disposition: c2
    encounter_id = Encounter._base_manager.get(call=call).pk
    assert reverse("field:encounter", args=[encounter_id]) in html
    assert AuditEvent.objects.filter(
        user=records.manny, action="view", model="field.Encounter", purpose="metric records"
    ).exists()
    # The denominator: every encounter with a disposition (two of the three).
    response = client.get(url + query + "&part=denominator")
    assert response.content.decode().count('href="/field/encounters/') == 2


def _many_calls(world, n: int) -> None:
    for i in range(n):
        triaged_call(world, at(1, i % 60))


def test_evaluators_see_no_rows_behind_a_small_number(records, client) -> None:
    client.force_login(records.eve)
    response = client.get(
        reverse("outcomes:records")
        + f"?metric=calls.total&program={records.program.pk}&date_from={DAY}&date_to={DAY}"
    )
    html = response.content.decode()
    assert response.status_code == 200
    assert 'data-testid="suppressed"' in html
    assert "T-" not in html  # no call reference


def test_evaluators_get_de_identified_rows(records, client) -> None:
    _many_calls(records, 12)
    client.force_login(records.eve)
    response = client.get(
        reverse("outcomes:records")
        + f"?metric=calls.eligible&program={records.program.pk}&date_from={DAY}&date_to={DAY}"
    )
    html = response.content.decode()
    assert "De-identified" in html
    assert "2026-03" in html  # the month, not the time
    references = Call._base_manager.values_list("reference", flat=True)
    assert not any(ref in html for ref in references)
    assert not re.search(r"/calls/\d+/", html)  # no links to the records
    call = Call._base_manager.filter(received_at=at(10)).get()
    assert drill.pseudonym("call", call.pk, "calls.eligible/numerator") in html
    # The same call has another pseudonym in another listing: lists cannot be joined.
    assert drill.pseudonym("call", call.pk, "calls.total/numerator") not in html
    assert "Eligible" not in html.split('data-testid="records"')[1]  # no flag columns
    assert AuditEvent.objects.filter(
        user=records.eve, model="intake.Call", purpose="de-identified metric records"
    ).exists()


def test_records_are_paged(records) -> None:
    _many_calls(records, drill.PAGE_SIZE + 5)
    admin = UserFactory(username="root", is_superuser=True)
    first = drill.records(_filters(records), "calls.total", user=admin, deidentified=False)
    second = drill.records(_filters(records), "calls.total", user=admin, deidentified=False, page=2)
    assert len(first.rows) == drill.PAGE_SIZE
    assert len(second.rows) == first.total - drill.PAGE_SIZE
    assert {r["link"] for r in first.rows}.isdisjoint(r["link"] for r in second.rows)


def test_a_number_without_records_is_not_found_and_outsiders_are_refused(records, client) -> None:
    client.force_login(records.manny)
    base = reverse("outcomes:records") + f"?program={records.program.pk}"
    assert client.get(base + "&metric=people.served").status_code == 404
    assert client.get(base + "&metric=calls.total&part=denominator").status_code == 404
    client.force_login(records.olga)
    assert client.get(base + "&metric=calls.total").status_code == 403


def test_the_catalog_and_the_dashboard_link_their_numbers_to_the_records(records, client) -> None:
    client.force_login(records.manny)
    query = f"?program={records.program.pk}&date_from={DAY}&date_to={DAY}"
    page = client.get(reverse("outcomes:metrics") + query).content.decode()
    assert "/outcomes/records/?metric=contact.engaged_rate&amp;" in page
    board = client.get(reverse("outcomes:dashboard") + query).content.decode()
    assert "/outcomes/records/?metric=calls.eligible_served_rate&amp;" in board
    assert "/outcomes/records/?metric=disposition.share.arrest&amp;" in board


def test_evaluators_get_no_rows_behind_a_suppressed_rate_not_even_its_denominator(
    records, client
) -> None:
    _many_calls(records, 12)
    client.force_login(records.eve)
    base = (
        reverse("outcomes:records")
        + f"?metric=outcome.ed_rate&program={records.program.pk}&date_from={DAY}&date_to={DAY}"
    )
    for part in ("numerator", "denominator"):
        html = client.get(f"{base}&part={part}").content.decode()
        assert 'data-testid="suppressed"' in html, part
