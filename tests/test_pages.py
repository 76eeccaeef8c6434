"""The pages, persona by persona: who gets in, what bad input gets back, and the empty states."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from corespond.core.access import system
from corespond.core.models import AuditEvent
from corespond.dispatch.services import unit_assign
from corespond.intake.models import Call
from tests.journey import encounter_of, make_call

PAGES = {
    "call_new": reverse("intake:call_new"),
    "board": reverse("dispatch:board"),
    "calls": reverse("intake:call_list"),
    "mine": reverse("field:mine"),
    "followups": reverse("care:followups"),
    "referrals": reverse("care:referrals"),
    "resources": reverse("care:resources"),
    "metrics": reverse("outcomes:metrics"),
}
# persona -> pages they may open; every other page answers 403.
ALLOWED = {
    "alice": {"call_new", "board", "calls", "resources"},
    "oscar": {"calls", "mine", "resources"},
    "clara": {"calls", "mine", "followups", "referrals", "resources"},
    "kim": {"calls", "followups", "referrals", "resources"},
    "manny": {"metrics", "resources"},
    "eve": {"metrics", "resources"},
    "nobody": {"resources"},
}


def recent_local_time(world, minutes_ago: int = 30) -> str:
    """A datetime-local value as a call-taker in the program's zone would type it."""
    moment = timezone.now() - timedelta(minutes=minutes_ago)
    return timezone.localtime(moment, world.program.tzinfo).strftime("%Y-%m-%dT%H:%M")


def client_for(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


@pytest.mark.parametrize("page", sorted(PAGES))
def test_every_page_asks_for_sign_in(db, page) -> None:
    response = Client().get(PAGES[page])
    assert response.status_code == 302 and response["Location"].startswith("/login/")


@pytest.mark.parametrize("persona", sorted(ALLOWED))
@pytest.mark.parametrize("page", sorted(PAGES))
def test_persona_page_matrix(world, persona, page) -> None:
    response = client_for(getattr(world, persona)).get(PAGES[page])
    expected = 200 if page in ALLOWED[persona] else 403
    assert response.status_code == expected, response.content[:300]


def test_empty_states_say_so(world) -> None:
    assert b"No calls waiting." in client_for(world.alice).get(PAGES["board"]).content
    assert b"Nothing to follow up" in client_for(world.kim).get(PAGES["followups"]).content
    assert b"no open assignment" in client_for(world.oscar).get(PAGES["mine"]).content
    assert b"No calls yet" in client_for(world.alice).get(PAGES["calls"]).content
    assert b"The directory is empty" in client_for(world.alice).get(PAGES["resources"]).content
    assert b"no data" in client_for(world.manny).get(PAGES["metrics"]).content


def test_call_form_refuses_bad_input_with_a_message_and_writes_nothing(world) -> None:
    response = client_for(world.alice).post(
        PAGES["call_new"],
        {
            "program": world.program.pk,
            "agency": world.far_county.pk,
            "received_at": "not a date",
            "call_type": "EDP",
            "source": "911",
        },
    )
    assert response.status_code == 400
    body = response.content.decode()
    assert "This field is required." in body  # address
    assert "Enter a valid date/time." in body
    assert system(Call.objects.all(), reason="test").count() == 0


def test_outsider_gets_404_for_another_programs_call(world) -> None:
    call = make_call(world)
    url = reverse("intake:call_detail", args=[call.pk])
    assert client_for(world.olga).get(url).status_code == 404
    assert client_for(world.bob).get(url).status_code == 200


def test_viewing_a_call_is_audited_with_the_address_it_came_from(world) -> None:
    call = make_call(world)
    client_for(world.bob).get(reverse("intake:call_detail", args=[call.pk]), REMOTE_ADDR="10.1.2.3")
    event = AuditEvent.objects.filter(user=world.bob, model="intake.Call").latest("id")
    assert event.object_ids == [call.pk] and event.remote_addr == "10.1.2.3"


def test_assigning_a_busy_team_shows_the_reason(world) -> None:
    first, second = make_call(world), make_call(world)
    unit_assign(actor=world.alice, call_id=first.pk, team_id=world.team.pk)
    response = client_for(world.alice).post(
        reverse("dispatch:assign", args=[second.pk]), {"team": world.team.pk}, follow=True
    )
    assert "CR-1 is not available" in response.content.decode()


def test_closing_without_a_reason_is_refused(world) -> None:
    call = make_call(world)
    response = client_for(world.alice).post(
        reverse("intake:call_close_unserved", args=[call.pk]), {"reason": ""}, follow=True
    )
    assert "needs a reason" in response.content.decode()
    assert system(Call.objects.all(), reason="t").get().status == "waiting"


def test_whole_journey_through_the_pages(world) -> None:
    alice = client_for(world.alice)
    response = alice.post(
        PAGES["call_new"],
        {
            "program": world.program.pk,
            "agency": world.riverton.pk,
            "received_at": recent_local_time(world),
            "call_type": "MNTL",
            "source": "911",
            "address": "4 Birch Ave",
            "behavioral_health": "on",
        },
    )
    assert response.status_code == 302
    detail = alice.get(response["Location"])
    assert b"Co-response: officer + clinician" in detail.content
    call = system(Call.objects.all(), reason="t").get()
    alice.post(reverse("dispatch:assign", args=[call.pk]), {"team": world.team.pk})

    oscar = client_for(world.oscar)
    mine = oscar.get(PAGES["mine"])
    assert mine.status_code == 302
    page = mine["Location"]
    for stamp in ("en_route_at", "arrived_at", "engaged_at"):
        oscar.post(page + "stamp/", {"stamp": stamp})
    oscar.post(
        page + "people/", {"given_name": "Quinn", "family_name": "Marsh", "involvement": "subject"}
    )
    bad = oscar.post(
        page,
        {
            "contact_outcome": "engaged",
            "disposition": "other",
            "transported_by": "none",
            "complete": "1",
        },
    )
    assert bad.status_code == 400 and b"Say what" in bad.content
    done = oscar.post(
        page,
        {
            "contact_outcome": "engaged",
            "disposition": "remained_in_community",
            "transported_by": "none",
            "service_provided": "on",
            "complete": "1",
        },
    )
    assert done.status_code == 302

    queue = client_for(world.kim).get(PAGES["followups"]).content.decode()
    assert "Quinn Marsh" in queue
    metrics_page = client_for(world.manny).get(PAGES["metrics"]).content.decode()
    assert "100.0% (1 of 1)" in metrics_page  # eligible calls served


def test_evaluator_sees_small_counts_suppressed(world) -> None:
    make_call(world)
    page = client_for(world.eve).get(PAGES["metrics"]).content.decode()
    assert "&lt;11" in page
    manager_page = client_for(world.manny).get(PAGES["metrics"]).content.decode()
    assert "&lt;11" not in manager_page


def test_metrics_filter_refuses_reversed_dates(world) -> None:
    response = client_for(world.manny).get(
        PAGES["metrics"], {"date_from": "2026-02-01", "date_to": "2026-01-01"}
    )
    assert response.status_code == 400
    assert b"on or after" in response.content


def test_board_refresh_returns_only_the_board_body(world) -> None:
    response = client_for(world.alice).get(PAGES["board"], HTTP_HX_REQUEST="true")
    assert b"<html" not in response.content and b"Calls waiting" in response.content


def test_healthz(db) -> None:
    assert Client().get("/healthz").json() == {"status": "ok"}


def test_encounter_of_another_program_is_404_in_the_field(world) -> None:
    call = make_call(world)
    enc = encounter_of(unit_assign(actor=world.alice, call_id=call.pk, team_id=world.team.pk))
    from tests.factories import UserFactory

    far_officer = UserFactory(username="fred", roles=[(world.far_county, "officer")])
    url = reverse("field:encounter", args=[enc.pk])
    assert client_for(far_officer).get(url).status_code == 404
