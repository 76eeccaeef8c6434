"""Pages that list records run a fixed number of queries, however many records there are."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from corespond.dispatch.services import unit_assign
from corespond.field import services as field
from tests.journey import encounter_of, make_call


def queries_for(user, url: str) -> int:
    client = Client()
    client.force_login(user)
    with CaptureQueriesContext(connection) as captured:
        assert client.get(url).status_code == 200
    return len(captured)


def complete_one(world) -> None:
    call = make_call(world)
    enc = encounter_of(unit_assign(actor=world.alice, call_id=call.pk, team_id=world.team.pk))
    field.encounter_person_add(actor=world.clara, encounter_id=enc.pk, given_name="Lee")
    field.encounter_update(
        actor=world.clara,
        encounter_id=enc.pk,
        contact_outcome="engaged",
        disposition="remained_in_community",
    )
    field.encounter_complete(actor=world.clara, encounter_id=enc.pk)


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
        complete_one(world)
    few = queries_for(getattr(world, persona), url)
    for _ in range(6):
        make_call(world)
        complete_one(world)
    many = queries_for(getattr(world, persona), url)
    assert many == few
