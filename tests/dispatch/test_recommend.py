"""The recommendation: nearest free team that fits, with an ETA; overriding needs a reason."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

from corespond.dispatch import recommend
from corespond.dispatch.models import Team
from corespond.dispatch.services import AssignmentRefused, unit_assign
from corespond.intake.models import Call
from tests.factories import TeamFactory
from tests.journey import make_call


def test_distance_and_eta_follow_the_documented_travel_model() -> None:
    # One degree of latitude is about 111.2 km anywhere on Earth.
    assert recommend.distance_km(45.0, -122.5, 46.0, -122.5) == pytest.approx(111.19, abs=0.01)
    team = Team(last_latitude=45.0, last_longitude=-122.5)
    call = Call(latitude=45.0 + 5 / 111.19, longitude=-122.5)  # 5 km north
    expected = (
        recommend.START_MINUTES + 5 * recommend.ROAD_FACTOR / recommend.AVERAGE_SPEED_KMH * 60
    )
    assert recommend.eta_minutes(team, call) == pytest.approx(expected, rel=1e-3)
    assert recommend.eta_minutes(Team(), call) is None


def test_fitting_teams_come_first_then_the_nearest(world) -> None:
    near_medic = TeamFactory(
        program=world.program,
        agency=world.harbor,
        call_sign="CM-9",
        response_type="clinician_medic",
        last_latitude=45.0,
        last_longitude=-122.5,
    )
    far_pair = TeamFactory(
        program=world.program,
        agency=world.riverton,
        call_sign="CR-9",
        response_type="co_response",
        last_latitude=45.2,
        last_longitude=-122.5,
    )
    near_pair = TeamFactory(
        program=world.program,
        agency=world.riverton,
        call_sign="CR-8",
        response_type="co_response",
        last_latitude=45.01,
        last_longitude=-122.5,
    )
    call = Call(latitude=45.0, longitude=-122.5)
    options = recommend.options_for(call, "co_response", [near_medic, far_pair, near_pair])
    assert [o.team.call_sign for o in options] == ["CR-8", "CR-9", "CM-9"]
    best = recommend.recommended(options)
    assert best is not None and best.team == near_pair
    assert recommend.recommended(recommend.options_for(call, "co_response", [near_medic])) is None
    police_first = recommend.options_for(call, "police_then_team", [near_medic, far_pair])
    assert all(o.fits for o in police_first)


def test_sending_another_team_than_the_recommended_one_needs_a_reason(world) -> None:
    call = make_call(world)  # co-response decision: CR-1 fits, CM-1 does not
    with pytest.raises(AssignmentRefused, match="CR-1 is recommended for this call"):
        unit_assign(actor=world.alice, call_id=call.pk, team_id=world.medic_team.pk)
    assignment = unit_assign(
        actor=world.alice,
        call_id=call.pk,
        team_id=world.medic_team.pk,
        override_reason="CR-1 is across the river; the medic team is two blocks away",
    )
    assert assignment.override_reason.startswith("CR-1 is across the river")


def test_call_page_marks_the_recommendation_with_its_eta(world) -> None:
    world.team.last_latitude, world.team.last_longitude = 45.0, -122.5
    world.team.save()
    call = make_call(world, latitude=45.05, longitude=-122.5)
    client = Client()
    client.force_login(world.alice)
    page = client.get(reverse("intake:call_detail", args=[call.pk])).content.decode()
    assert "CR-1 · Co-responders (Co-response: officer + clinician) · ETA 17 min" in page
    assert "<strong>recommended</strong>" in page
    assert "does not fit the decision" in page  # CM-1


def _preview(client: Client, body: object) -> tuple[int, dict]:
    import json

    response = client.post(
        reverse("dispatch:preview"), json.dumps(body), content_type="application/json"
    )
    return response.status_code, response.json()


def test_the_preview_triages_and_ranks_free_teams_without_writing(world) -> None:
    from corespond.core.access import system
    from corespond.core.models import AuditEvent
    from corespond.intake.models import Call as StoredCall

    Team.objects.filter(pk=world.team.pk).update(last_latitude=45.0, last_longitude=-122.5)
    client = Client()
    client.force_login(world.alice)
    audits = AuditEvent.objects.count()
    status, body = _preview(
        client,
        {
            "program": "riverside",
            "call_type": "SUICTHRT",
            "behavioral_health": True,
            "time": "14:00",
            "latitude": 45.0 + 5 / 111.19,
            "longitude": -122.5,
        },
    )
    assert status == 200
    assert body["response_type"] == "co_response" and body["protocol_version"] == "mixed@2026.1"
    assert body["recommended"] == {
        "team": "CR-1",
        "response_type": "co_response",
        "fits": True,
        "eta_minutes": 16.0,
    }
    assert [o["team"] for o in body["options"]] == ["CR-1", "CM-1"]
    assert system(StoredCall.objects.all(), reason="test").count() == 0
    assert AuditEvent.objects.count() == audits


@pytest.mark.parametrize(
    ("body", "status", "message"),
    [
        ("not json", 400, "Send a JSON object"),
        ({"call_type": "EDP"}, 400, "Send a JSON object"),
        ({"program": "riverside", "call_type": "EDP", "weapons": "maybe"}, 400, "true or false"),
        ({"program": "riverside", "call_type": "EDP", "colour": "red"}, 400, "unknown call"),
        ({"program": "riverside", "latitude": "north", "longitude": 1}, 400, "could not convert"),
    ],
)
def test_the_preview_explains_bad_input(world, body, status, message) -> None:
    client = Client()
    client.force_login(world.alice)
    if isinstance(body, str):
        response = client.post(reverse("dispatch:preview"), body, content_type="application/json")
        got_status, got = response.status_code, response.json()
    else:
        got_status, got = _preview(client, body)
    assert got_status == status and message in got["error"]


def test_only_dispatchers_of_the_program_get_a_preview(world) -> None:
    from corespond.intake.models import ProtocolVersion

    for persona, status in ((world.clara, 403), (world.bob, 403), (world.eve, 403)):
        client = Client()
        client.force_login(persona)
        assert _preview(client, {"program": "riverside"})[0] == status
    client = Client()
    client.force_login(world.alice)
    assert (
        client.post(reverse("dispatch:preview"), "{}", content_type="application/json").status_code
        == 400
    )
    assert _preview(client, {"program": "nowhere"})[0] == 404
    ProtocolVersion.objects.filter(program=world.program).update(status="retired")
    status, body = _preview(client, {"program": "riverside", "call_type": "EDP"})
    assert status == 409 and "no active dispatch protocol" in body["error"]
