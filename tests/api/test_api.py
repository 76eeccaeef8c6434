"""The REST API: tokens and scopes, the gate and the audit log, pagination, one error shape,
rate limits, and the EIDO exchange over HTTP."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from django.core.management import call_command
from django.utils import timezone

from corespond.api.models import ApiToken, Scope
from corespond.api.services import token_issue, token_revoke
from corespond.core.models import AuditEvent
from corespond.intake.models import Call
from tests.factories import CallFactory
from tests.interop.eido_samples import cad_eido
from tests.journey import make_call

pytestmark = pytest.mark.django_db
BASE = "/api/v1"


def bearer(raw: str) -> dict[str, str]:
    return {"HTTP_AUTHORIZATION": f"Bearer {raw}"}


@pytest.fixture
def cad(world):
    """Riverton's CAD integration: alice's dispatcher account, every scope."""
    _, raw = token_issue(user=world.alice, name="Riverton CAD", scopes=list(Scope.values))
    return raw


def test_no_token_a_wrong_token_or_a_revoked_one_gets_401_in_the_error_shape(world, client):
    token, raw = token_issue(user=world.alice, name="CAD", scopes=[Scope.CALLS_READ])
    for headers in ({}, bearer("crsp_nope"), bearer(raw + "x")):
        response = client.get(f"{BASE}/calls", **headers)
        assert response.status_code == 401
        assert response.json()["error"]["code"] == "unauthenticated"
    assert client.get(f"{BASE}/calls", **bearer(raw)).status_code == 200
    token_revoke(prefix=token.prefix)
    assert client.get(f"{BASE}/calls", **bearer(raw)).status_code == 401
    _expired, raw2 = token_issue(
        user=world.alice,
        name="old",
        scopes=[Scope.CALLS_READ],
        expires_at=timezone.now() - timedelta(minutes=1),
    )
    assert client.get(f"{BASE}/calls", **bearer(raw2)).status_code == 401
    # Only a digest is stored.
    assert raw not in json.dumps(list(ApiToken.objects.values()), default=str)


def test_a_token_without_the_scope_is_refused(world, client):
    _, raw = token_issue(user=world.alice, name="read-only", scopes=[Scope.CALLS_READ])
    response = client.post(
        f"{BASE}/calls",
        data={"agency": "riverton-pd", "call_type": "EDP", "address": "1 Elm"},
        content_type="application/json",
        **bearer(raw),
    )
    assert response.status_code == 403
    assert response.json()["error"] == {
        "status": 403,
        "code": "forbidden",
        "message": "This token lacks the scope 'calls:write'.",
    }


def test_calls_are_read_through_the_gate_paged_and_audited(world, client, cad):
    for _ in range(3):
        make_call(world)
    CallFactory(program=world.elsewhere, agency=world.elsewhere.agencies.get())  # not hers
    response = client.get(f"{BASE}/calls?page_size=2", **bearer(cad))
    body = response.json()
    assert response.status_code == 200
    assert body["count"] == 3 and len(body["items"]) == 2
    assert {c["agency"] for c in body["items"]} == {"riverton-pd"}
    assert body["items"][0]["triage"]["protocol_version"]
    second = client.get(f"{BASE}/calls?page_size=2&page=2", **bearer(cad)).json()
    assert len(second["items"]) == 1
    assert AuditEvent.objects.filter(user=world.alice, model="intake.Call", action="view").exists()
    olga_token = token_issue(user=world.olga, name="x", scopes=[Scope.CALLS_READ])[1]
    theirs = client.get(f"{BASE}/calls", **bearer(olga_token)).json()["items"]
    assert [c["agency"] for c in theirs] == ["far-county"]  # Far County's own call only
    one = body["items"][0]["id"]
    assert client.get(f"{BASE}/calls/{one}", **bearer(olga_token)).status_code == 404


def test_a_call_posted_is_triaged_and_bad_input_is_refused_by_field(world, client, cad):
    good = {
        "agency": "riverton-pd",
        "call_type": "SUICTHRT",
        "address": "9 Pine St",
        "description": "Caller worried about her son.",
    }
    response = client.post(
        f"{BASE}/calls", data=good, content_type="application/json", **bearer(cad)
    )
    assert response.status_code == 201, response.content
    assert response.json()["triage"]["eligible"] is True
    bad = client.post(
        f"{BASE}/calls",
        data={**good, "call_type": "ROBBERY", "latitude": 400},
        content_type="application/json",
        **bearer(cad),
    )
    assert bad.status_code == 422
    fields = {d["field"] for d in bad.json()["error"]["details"]}
    assert {"body.payload.call_type", "body.payload.latitude"} <= fields
    outside = client.post(
        f"{BASE}/calls",
        data={**good, "agency": "far-county"},
        content_type="application/json",
        **bearer(cad),
    )
    assert outside.status_code == 400
    assert outside.json()["error"]["details"][0]["field"] == "agency"
    assert Call._base_manager.count() == 1


def test_triage_dry_run_writes_nothing(world, client, cad):
    response = client.post(
        f"{BASE}/triage",
        data={"facts": {"call_type": "EDP", "behavioral_health": True, "hour": 14}},
        content_type="application/json",
        **bearer(cad),
    )
    assert response.status_code == 200, response.content
    assert response.json()["response_type"]
    assert Call._base_manager.count() == 0
    bad = client.post(
        f"{BASE}/triage",
        data={"facts": {"colour": "blue"}},
        content_type="application/json",
        **bearer(cad),
    )
    assert bad.status_code == 400 and "colour" in bad.json()["error"]["details"][0]["message"]


def test_an_eido_posted_twice_makes_one_triaged_call_on_the_board(world, client, cad):
    document = cad_eido()
    first = client.post(
        f"{BASE}/eido", data=document, content_type="application/json", **bearer(cad)
    )
    assert first.status_code == 201, first.content
    again = client.post(
        f"{BASE}/eido", data=document, content_type="application/json", **bearer(cad)
    )
    assert again.status_code == 200 and again.json()["result"] == "unchanged"
    assert Call._base_manager.count() == 1
    client.force_login(world.alice)
    board = client.get("/dispatch/").content.decode()
    assert first.json()["call_reference"] in board
    incident = document["incidentComponent"][0]["incidentTrackingIdentifier"]
    back = client.get(f"{BASE}/eido/{incident}", **bearer(cad))
    assert back.status_code == 200
    assert back.json()["incidentComponent"][0]["incidentTrackingIdentifier"] == incident


def test_a_malformed_eido_gets_a_400_naming_the_field(world, client, cad):
    document = cad_eido()
    del document["incidentComponent"][0]["incidentTrackingIdentifier"]
    response = client.post(
        f"{BASE}/eido", data=document, content_type="application/json", **bearer(cad)
    )
    assert response.status_code == 400
    error = response.json()["error"]
    assert error["code"] == "invalid_eido"
    assert error["details"] == [
        {"field": "incidentComponent[0].incidentTrackingIdentifier", "message": "required"}
    ]
    not_json = client.post(
        f"{BASE}/eido", data="{oops", content_type="application/json", **bearer(cad)
    )
    assert not_json.status_code == 400
    assert Call._base_manager.count() == 0


def test_the_rate_limit_answers_429_with_retry_after(world, client, cad, settings):
    settings.API_RATE_LIMIT = "3/min"
    codes = [client.get(f"{BASE}/teams", **bearer(cad)).status_code for _ in range(4)]
    assert codes == [200, 200, 200, 429]
    response = client.get(f"{BASE}/teams", **bearer(cad))
    assert response.json()["error"]["code"] == "rate_limited"
    assert int(response["Retry-After"]) >= 1


def test_metrics_people_resources_followups_and_referrals_answer(world, client):
    from tests.journey import finish_encounter

    finish_encounter(world, given_name="Robin")
    _, pm = token_issue(user=world.manny, name="evaluation", scopes=[Scope.METRICS_READ])
    metrics = client.get(f"{BASE}/metrics", **bearer(pm))
    assert metrics.status_code == 200
    assert metrics.json()["calls.total"]["value"] == 1
    _, clinic = token_issue(user=world.kim, name="clinic", scopes=list(Scope.values))
    people = client.get(f"{BASE}/people?q=Robin", **bearer(clinic))
    assert people.status_code == 200 and people.json()[0]["given_name"] == "Robin"
    assert client.get(f"{BASE}/followups", **bearer(clinic)).json()["count"] >= 1
    assert client.get(f"{BASE}/referrals?state=all", **bearer(clinic)).status_code == 200
    assert client.get(f"{BASE}/resources?open_now=true", **bearer(clinic)).status_code == 200
    assert client.get(f"{BASE}/encounters", **bearer(clinic)).json()["count"] >= 1


def test_the_openapi_document_and_the_docs_page_are_served(client):
    schema = client.get(f"{BASE}/openapi.json").json()
    assert schema["info"]["title"] == "corespond API"
    assert {"/api/v1/calls", "/api/v1/eido", "/api/v1/metrics"} <= set(schema["paths"])
    page = client.get(f"{BASE}/docs")
    assert page.status_code == 200 and b"swagger-ui" in page.content


def test_the_token_command_issues_lists_and_revokes(world, capsys):
    call_command("token", "issue", "--user", "alice", "--name", "CAD", "--scope", "calls:read")
    out = capsys.readouterr().out
    raw = next(w for w in out.split() if w.startswith("crsp_"))
    token = ApiToken.objects.get()
    assert raw.startswith(f"crsp_{token.prefix}_")
    call_command("token", "list")
    assert "CAD" in capsys.readouterr().out
    call_command("token", "revoke", token.prefix)
    token.refresh_from_db()
    assert token.revoked_at is not None


def test_an_evaluator_gets_the_catalog_with_small_counts_suppressed(world, client):
    from tests.journey import finish_encounter

    finish_encounter(world, given_name="Robin")
    _, raw = token_issue(user=world.eve, name="evaluation", scopes=[Scope.METRICS_READ])
    body = client.get(f"{BASE}/metrics", **bearer(raw)).json()
    assert body["calls.total"] == {"value": None, "suppressed": True}  # one call
    assert body["contact.engaged_rate"] == {"value": None, "suppressed": True}
    assert AuditEvent.objects.filter(user=world.eve, purpose="API metrics").exists()


def test_times_the_database_cannot_hold_are_refused_not_crashed_on(world, client, cad):
    for since in ("0186-03-29T17:27:46-21:43", "2026-01-01T00:00:00+15:00", "9999-01-01T00:00"):
        response = client.get(f"{BASE}/encounters", {"since": since}, **bearer(cad))
        assert response.status_code == 422, since
        assert response.json()["error"]["details"][0]["field"] == "query.since"


def test_guessing_tokens_is_slowed_to_the_anonymous_rate(world, client, settings):
    settings.API_ANON_RATE_LIMIT = "3/min"
    codes = [client.get(f"{BASE}/calls", **bearer(f"crsp_guess{i}")).status_code for i in range(4)]
    assert codes == [401, 401, 401, 429]
