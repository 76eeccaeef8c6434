"""Pages that list records run a fixed number of queries, however many records there are."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from tests.journey import finish_encounter, make_call


def queries_for(user, url: str) -> int:
    from corespond.outcomes import rollup

    # The catalog's kept figures are brought up to date first: their refresh works per
    # changed day (and a first look writes every day), not per record, and is measured in
    # benchmarks/catalog_speed.py.
    rollup.refresh()
    client = Client()
    client.force_login(user)
    with CaptureQueriesContext(connection) as captured:
        assert client.get(url).status_code == 200
    return len(captured)


@pytest.mark.parametrize(
    ("persona", "url"),
    [
        ("alice", reverse("dispatch:board")),
        ("alice", reverse("intake:call_list")),
        ("kim", reverse("care:followups")),
        ("manny", reverse("outcomes:metrics")),
    ],
)
def test_list_pages_do_not_query_per_record(world, persona, url) -> None:
    for _ in range(2):
        make_call(world)
        finish_encounter(world)
    few = queries_for(getattr(world, persona), url)
    for _ in range(6):
        make_call(world)
        finish_encounter(world)
    many = queries_for(getattr(world, persona), url)
    assert many == few
