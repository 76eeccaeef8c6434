"""The FHIR endpoint over HTTP: bearer tokens and scopes, search by patient and date, a
referral's Task round-tripping as a partner's updates, OperationOutcome errors, and every
resource valid FHIR R4 (fhir.resources R4B)."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from django.utils import timezone
from fhir.resources.R4B import get_fhir_model_class

from corespond.api.models import Scope
from corespond.api.services import token_issue
from corespond.interop import fhir
from tests.interop.test_fhir import scene  # noqa: F401 - the shared fixture

pytestmark = pytest.mark.django_db
FHIR = "application/fhir+json"


def _bearer(user, *scopes: str) -> dict[str, str]:
    _, raw = token_issue(user=user, name="partner", scopes=list(scopes) or [Scope.FHIR_READ])
    return {"HTTP_AUTHORIZATION": f"Bearer {raw}"}


def _valid(resource: dict) -> None:
    get_fhir_model_class(resource["resourceType"]).model_validate(resource)


def test_a_partner_searches_by_patient_and_date(world, scene, client) -> None:  # noqa: F811
    headers = _bearer(world.kim)
    patient = f"Patient/person-{scene['person'].pk}"
    # Days are the program's (as the search reads them), not UTC's: between midnight UTC and
    # midnight in Los Angeles the two differ.
    today = timezone.localtime(scene["encounter"].received_at, world.program.tzinfo).date()
    found = client.get(f"/fhir/Encounter?patient={patient}&date=ge{today}", **headers)
    assert found.status_code == 200 and found["Content-Type"].startswith(FHIR)
    body = found.json()
    _valid(body)
    assert body["type"] == "searchset" and body["total"] == 1
    assert {e["resource"]["resourceType"] for e in body["entry"]} == {"Encounter"}
    later = client.get(
        f"/fhir/Encounter?patient={patient}&date=ge{today + timedelta(days=1)}", **headers
    )
    assert later.json()["total"] == 0
    everything = client.get(f"/fhir/Patient/person-{scene['person'].pk}/$everything", **headers)
    bundle = everything.json()
    _valid(bundle)
    assert fhir.unresolved_references(bundle) == []
    kinds = {e["resource"]["resourceType"] for e in bundle["entry"]}
    assert {"Patient", "Encounter", "Task", "ServiceRequest", "QuestionnaireResponse"} <= kinds
    patient_only = client.get(f"/fhir/Patient/person-{scene['person'].pk}", **headers).json()
    _valid(patient_only)
    assert patient_only["name"][0]["family"] == "Marsh"


def test_date_searches_include_exactly_the_days_asked_for(world, scene, client) -> None:  # noqa: F811
    headers = _bearer(world.kim)
    patient = f"Patient/person-{scene['person'].pk}"
    day = timezone.localtime(scene["encounter"].received_at, world.program.tzinfo).date()
    before, after = day - timedelta(days=1), day + timedelta(days=1)
    expected = {
        f"eq{day}": 1,
        f"le{day}": 1,
        f"lt{day}": 0,
        f"lt{after}": 1,
        f"gt{day}": 0,
        f"gt{before}": 1,
        f"ge{after}": 0,
        f"le{before}": 0,
    }
    for search, total in expected.items():
        found = client.get(f"/fhir/Encounter?patient={patient}&date={search}", **headers)
        assert found.json()["total"] == total, search
    everything = f"/fhir/Patient/person-{scene['person'].pk}/$everything"
    kinds = lambda q: {  # noqa: E731
        e["resource"]["resourceType"] for e in client.get(everything + q, **headers).json()["entry"]
    }
    assert "Encounter" in kinds(f"?start={day}&end={day}")
    assert "Encounter" not in kinds(f"?start={before}&end={before}")


def test_the_gate_decides_what_a_partner_account_reads(world, scene, client) -> None:  # noqa: F811
    officer = _bearer(world.oscar)
    patient = f"Patient/person-{scene['person'].pk}"
    screenings = client.get(f"/fhir/QuestionnaireResponse?patient={patient}", **officer)
    assert screenings.status_code == 200 and screenings.json()["total"] == 0
    outsider = _bearer(world.olga)
    missing = client.get(f"/fhir/Patient/person-{scene['person'].pk}", **outsider)
    assert missing.status_code == 404
    assert missing.json()["resourceType"] == "OperationOutcome"


def test_a_referral_round_trips_as_task_updates_over_http(world, scene, client) -> None:  # noqa: F811
    referral = scene["referral"]
    reader = _bearer(world.kim)
    writer = _bearer(world.kim, Scope.FHIR_READ, Scope.FHIR_WRITE)
    url = f"/fhir/Task/referral-{referral.pk}"
    task = client.get(url, **reader).json()
    _valid(task)
    for status in ("accepted", "completed"):
        task["status"] = status
        answer = client.put(url, data=json.dumps(task), content_type=FHIR, **writer)
        assert answer.status_code == 200, answer.content
        assert answer.json()["status"] == status
    assert client.get(url, **reader).json()["status"] == "completed"
    # Without the write scope, or with a status that is not a Task status: refused.
    task["status"] = "accepted"
    assert client.put(url, data=json.dumps(task), content_type=FHIR, **reader).status_code == 403
    task["status"] = "done"
    bad = client.put(url, data=json.dumps(task), content_type=FHIR, **writer)
    assert bad.status_code == 400
    issue = bad.json()["issue"][0]
    assert issue["expression"] == ["Task.status"] and "not a Task status" in issue["diagnostics"]


def test_errors_are_operation_outcomes(world, client) -> None:
    assert client.get("/fhir/Encounter?patient=Patient/person-1").status_code == 401
    headers = _bearer(world.kim)
    for url, status in (
        ("/fhir/Encounter", 422),  # patient is required
        ("/fhir/Encounter?patient=Patient/person-1&date=soon", 400),
        ("/fhir/Medication?patient=Patient/person-1", 404),
        ("/fhir/Task/nonsense", 404),
    ):
        response = client.get(url, **headers)
        assert response.status_code == status, url
        assert response.json()["resourceType"] == "OperationOutcome"
    metadata = client.get("/fhir/metadata").json()
    assert metadata["resourceType"] == "CapabilityStatement"
    _valid(metadata)


def test_a_search_for_one_type_reads_and_audits_only_that_type(world, scene, client) -> None:  # noqa: F811
    from corespond.core.models import AuditEvent

    headers = _bearer(world.kim)
    before = set(AuditEvent.objects.values_list("pk", flat=True))
    found = client.get(f"/fhir/Consent?patient=person-{scene['person'].pk}", **headers)
    assert found.status_code == 200
    read = set(AuditEvent.objects.exclude(pk__in=before).values_list("model", flat=True).distinct())
    assert "field.Screening" not in read and "care.Referral" not in read
    assert "field.Encounter" not in read
    assert "people.Person" in read  # the read itself is on record
