"""The cost assumptions page: program managers edit, others read, bad figures are refused
with the row and field, and nothing is half-saved."""

from __future__ import annotations

import pytest
from django.urls import reverse

from corespond.outcomes.costs import assumptions_install_defaults
from corespond.outcomes.models import CostAssumption

pytestmark = pytest.mark.django_db
K = CostAssumption.Key


def _post(client, world, changes: dict[str, dict[str, object]]):
    rows = list(CostAssumption.objects.filter(program=world.program))
    data: dict[str, object] = {
        "program": world.program.pk,
        "form-TOTAL_FORMS": len(rows),
        "form-INITIAL_FORMS": len(rows),
    }
    for i, row in enumerate(rows):
        figures = {"value": row.value, "low": row.low, "high": row.high, "source": row.source}
        figures |= changes.get(row.key, {})
        data[f"form-{i}-id"] = row.pk
        for name, figure in figures.items():
            data[f"form-{i}-{name}"] = "" if figure is None else figure
    return client.post(reverse("outcomes:costs"), data)


def test_a_program_manager_changes_an_assumption_with_its_source(world, client) -> None:
    client.force_login(world.manny)
    page = client.get(reverse("outcomes:costs") + f"?program={world.program.pk}")
    assert page.status_code == 200
    assert "Jail bed-day" in page.content.decode() and "Save assumptions" in page.content.decode()
    response = _post(
        client,
        world,
        {K.BASELINE_ED_RATE: {"value": 0.3, "low": 0.2, "high": 0.4, "source": "2023 CAD"}},
    )
    assert response.status_code == 302
    row = CostAssumption.objects.get(program=world.program, key=K.BASELINE_ED_RATE)
    assert (row.value, row.low, row.high, row.source) == (0.3, 0.2, 0.4, "2023 CAD")
    assert row.updated_by == world.manny


def test_bad_figures_are_refused_by_row_and_field_and_nothing_is_saved(world, client) -> None:
    client.force_login(world.manny)
    assumptions_install_defaults(program=world.program)
    response = _post(
        client,
        world,
        {
            K.OFFICER_HOUR_COST: {"value": 70},  # valid, but must not be saved alone
            K.BASELINE_ARREST_RATE: {"value": 25},  # a percentage, not a share
            K.JAIL_BED_DAY_COST: {"value": 88, "low": 100},
        },
    )
    assert response.status_code == 400
    html = response.content.decode()
    assert "A rate is a share between 0 and 1" in html
    assert "The low end must not be above the value." in html
    assert CostAssumption.objects.get(program=world.program, key=K.OFFICER_HOUR_COST).value == 58


def test_others_read_the_assumptions_but_cannot_change_them(world, client) -> None:
    assumptions_install_defaults(program=world.program)
    client.force_login(world.eve)
    page = client.get(reverse("outcomes:costs") + f"?program={world.program.pk}")
    html = page.content.decode()
    assert page.status_code == 200 and "Read only" in html and "Save assumptions" not in html
    assert _post(client, world, {K.OFFICER_HOUR_COST: {"value": 1}}).status_code == 403
    client.force_login(world.olga)
    assert client.get(reverse("outcomes:costs")).status_code == 403


def test_a_program_that_is_not_a_number_is_not_found(world, client) -> None:
    client.force_login(world.manny)
    assert client.get(reverse("outcomes:costs") + "?program=abc").status_code == 404
