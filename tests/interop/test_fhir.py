"""FHIR R4 for health partners: every resource reads back as its R4B model, a bundle's
references all resolve, the gate decides what a bundle holds, and a referral's Task goes out
and comes back changed, with precise errors and nothing written when it cannot be taken."""

from __future__ import annotations

import copy
from datetime import date, timedelta
from typing import Any

import pytest
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.utils import timezone
from fhir.resources.R4B import get_fhir_model_class
from fhir.resources.R4B.bundle import Bundle

from corespond.care import services as care
from corespond.care.models import Referral, ReferralStatusChange, Resource
from corespond.core.access import Action, sql_guard, system
from corespond.core.models import AuditEvent
from corespond.core.vocab import ResponseType
from corespond.dispatch.services import unit_assign
from corespond.field import cssrs
from corespond.field import services as field
from corespond.field.models import Encounter
from corespond.intake.models import TriageDecision
from corespond.interop import fhir
from corespond.interop import fhir_resources as build
from corespond.people.models import Person
from corespond.sharing import services as sharing
from tests.factories import TeamFactory
from tests.journey import encounter_of, make_call

pytestmark = pytest.mark.django_db

ANSWERS = {"q1": True, "q2": True, "q3": False, "q4": True, "q5": False, "q6": False}


def _resources(bundle: dict[str, Any], kind: str) -> list[dict[str, Any]]:
    return [e["resource"] for e in bundle["entry"] if e["resource"]["resourceType"] == kind]


def _kinds(bundle: dict[str, Any]) -> set[str]:
    return {e["resource"]["resourceType"] for e in bundle["entry"]}


def _history(referral_pk: int) -> list[str]:
    changes = system(ReferralStatusChange.objects.filter(referral_id=referral_pk), reason="test")
    return [c.status for c in changes.order_by("at", "pk")]


@pytest.fixture
def scene(world) -> dict[str, Any]:
    """Lee's crisis, met by CR-1: screened high risk by clara, referred by kim to respite,
    with a Part 2 consent naming Harbor and one naming Lakeside that Lee revoked."""
    call = make_call(world, minutes_ago=30)
    encounter = encounter_of(unit_assign(actor=world.alice, call_id=call.pk, team_id=world.team.pk))
    for stamp in ("en_route_at", "arrived_at", "engaged_at"):
        field.encounter_stamp(actor=world.clara, encounter_id=encounter.pk, stamp=stamp)
    person = field.encounter_person_add(
        actor=world.clara,
        encounter_id=encounter.pk,
        given_name="Lee",
        family_name="Marsh",
        birth_date=date(1990, 4, 2),
    )
    system(Person.objects.filter(pk=person.pk), reason="test", action=Action.CHANGE).update(
        sex="F", phone="555-0101", race_ethnicity="Asian", veteran=True
    )
    screening = field.screening_record(
        actor=world.clara, encounter_id=encounter.pk, answers=ANSWERS, person_id=person.pk
    )
    field.encounter_update(
        actor=world.clara,
        encounter_id=encounter.pk,
        contact_outcome="engaged",
        disposition="crisis_facility",
    )
    encounter = field.encounter_complete(actor=world.clara, encounter_id=encounter.pk)
    resource = Resource.objects.create(
        program=world.program,
        organization="Harbor Respite House",
        name="Crisis respite beds",
        category="crisis_stabilization",
        phone="555-0199",
        organization_external_id="org-17",
    )
    referral = care.referral_create(
        actor=world.kim, person_id=person.pk, resource_id=resource.pk, encounter=encounter
    )
    consent = sharing.consent_record(
        actor=world.clara,
        person_id=person.pk,
        recipient_id=world.harbor.pk,
        purpose="Coordinate treatment after the crisis",
    )
    revoked = sharing.consent_record(
        actor=world.clara,
        person_id=person.pk,
        recipient_id=world.lakeside.pk,
        purpose="Court diversion",
    )
    sharing.consent_revoke(actor=world.clara, consent_id=revoked.pk)
    return {
        "encounter": encounter,
        "person": person,
        "screening": screening,
        "referral": referral,
        "resource": resource,
        "consent": consent,
        "revoked": revoked,
    }


# --- the bundle -----------------------------------------------------------------------------


def test_every_resource_in_a_clinicians_bundle_reads_back_as_its_r4b_model(world, scene) -> None:
    with sql_guard():  # as in a web request: no protected row read around the gate
        bundle = fhir.bundle(person_id=scene["person"].pk, user=world.clara)
    Bundle.model_validate(bundle)
    assert bundle["type"] == "collection"
    for entry in bundle["entry"]:
        resource = entry["resource"]
        model = get_fhir_model_class(resource["resourceType"])
        assert model.model_validate(resource).model_dump(mode="json") == resource
        assert entry["fullUrl"].endswith(f"/{resource['resourceType']}/{resource['id']}")
    assert _kinds(bundle) == {
        "Patient",
        "Organization",
        "Encounter",
        "QuestionnaireResponse",
        "Observation",
        "ServiceRequest",
        "Task",
        "Consent",
    }
    assert fhir.unresolved_references(bundle) == []


def test_a_bundles_references_all_resolve_and_a_missing_target_is_reported(world, scene) -> None:
    bundle = fhir.bundle(
        person_id=scene["person"].pk, user=world.kim, base_url="https://partner.example/fhir/"
    )
    assert fhir.unresolved_references(bundle) == []
    assert bundle["entry"][0]["fullUrl"].startswith("https://partner.example/fhir/Patient/")
    without_patient = copy.deepcopy(bundle)
    without_patient["entry"] = [
        e for e in without_patient["entry"] if e["resource"]["resourceType"] != "Patient"
    ]
    missing = fhir.unresolved_references(without_patient)
    patient = f"Patient/person-{scene['person'].pk}"
    assert missing and all(m.endswith(f"-> {patient}") for m in missing)
    assert f"Task/referral-{scene['referral'].pk} -> {patient}" in missing


def test_an_officer_gets_the_person_and_the_encounter_but_no_screening_referral_or_consent(
    world, scene
) -> None:
    bundle = fhir.bundle(person_id=scene["person"].pk, user=world.oscar)
    assert _kinds(bundle) == {"Patient", "Organization", "Encounter"}
    assert fhir.unresolved_references(bundle) == []
    clinician = fhir.bundle(person_id=scene["person"].pk, user=world.clara)
    assert {"QuestionnaireResponse", "Observation", "Consent"} <= _kinds(clinician)


def test_someone_outside_the_program_cannot_have_the_bundle_at_all(world, scene) -> None:
    with pytest.raises(Http404):
        fhir.bundle(person_id=scene["person"].pk, user=world.olga)


def test_a_bundle_read_is_in_the_audit_log_with_its_purpose(world, scene) -> None:
    fhir.bundle(person_id=scene["person"].pk, user=world.kim)
    reads = AuditEvent.objects.filter(user=world.kim, purpose=fhir.PURPOSE, action="view")
    assert {"people.Person", "field.Screening", "care.Referral"} <= {e.model for e in reads}


def test_a_search_bundle_marks_the_persons_records_as_matches(world, scene) -> None:
    bundle = fhir.bundle(person_id=scene["person"].pk, user=world.clara, kind="searchset")
    Bundle.model_validate(bundle)
    modes = {e["resource"]["resourceType"]: e["search"]["mode"] for e in bundle["entry"]}
    assert modes["Patient"] == "include" and modes["Organization"] == "include"
    assert modes["Encounter"] == "match" and modes["Task"] == "match"
    assert bundle["total"] == len([e for e in bundle["entry"] if e["search"]["mode"] == "match"])


def test_the_date_range_selects_records_by_when_they_happened(world, scene) -> None:
    person = scene["person"]
    # An older crisis of Lee's, three weeks ago.
    older = encounter_of(
        unit_assign(
            actor=world.alice,
            call_id=make_call(world).pk,
            team_id=world.medic_team.pk,
            override_reason="CR-1 is busy",
        )
    )
    field.encounter_person_link(actor=world.clara, encounter_id=older.pk, person_id=person.pk)
    weeks_ago = timezone.now() - timedelta(days=21)
    system(Encounter.objects.filter(pk=older.pk), reason="test", action=Action.CHANGE).update(
        received_at=weeks_ago, dispatched_at=weeks_ago
    )
    everything = fhir.bundle(person_id=person.pk, user=world.clara)
    assert len(_resources(everything, "Encounter")) == 2

    today = timezone.localdate(timezone=world.program.tzinfo)
    recent = fhir.bundle(person_id=person.pk, user=world.clara, since=today - timedelta(days=2))
    assert [e["id"] for e in _resources(recent, "Encounter")] == [
        f"encounter-{scene['encounter'].pk}"
    ]
    assert len(_resources(recent, "Task")) == 1
    back_then = fhir.bundle(
        person_id=person.pk,
        user=world.clara,
        since=today - timedelta(days=30),
        until=today - timedelta(days=7),
    )
    assert [e["id"] for e in _resources(back_then, "Encounter")] == [f"encounter-{older.pk}"]
    assert not _resources(back_then, "QuestionnaireResponse")
    assert not _resources(back_then, "Task")
    assert fhir.unresolved_references(back_then) == []
    with pytest.raises(ValueError):
        fhir.bundle(person_id=person.pk, user=world.clara, since=today, until=today - timedelta(1))


# --- the resources --------------------------------------------------------------------------


def test_the_patient_holds_identity_but_not_demographics(world, scene) -> None:
    bundle = fhir.bundle(person_id=scene["person"].pk, user=world.oscar)
    (patient,) = _resources(bundle, "Patient")
    assert patient["identifier"][0] == {
        "system": "urn:corespond:person",
        "value": str(scene["person"].pk),
    }
    assert patient["name"][0]["family"] == "Marsh" and patient["name"][0]["given"] == ["Lee"]
    assert patient["birthDate"] == "1990-04-02"
    assert patient["gender"] == "female"
    assert (
        patient["managingOrganization"]["reference"] == f"Organization/agency-{world.riverton.pk}"
    )
    assert "extension" not in patient  # race/ethnicity and veteran status stay home
    assert [build.gender_of(s) for s in ("", "male", "Nonbinary", "two-spirit")] == [
        None,
        "male",
        "other",
        "unknown",
    ]


def test_a_field_encounter_is_class_fld_with_its_times_subject_and_agency(world, scene) -> None:
    bundle = fhir.bundle(person_id=scene["person"].pk, user=world.clara)
    (encounter,) = _resources(bundle, "Encounter")
    record = scene["encounter"]
    assert encounter["status"] == "finished"
    assert encounter["class"]["code"] == "FLD"
    assert encounter["class"]["system"] == "http://terminology.hl7.org/CodeSystem/v3-ActCode"
    assert encounter["subject"]["reference"] == f"Patient/person-{scene['person'].pk}"
    assert encounter["serviceProvider"]["reference"] == f"Organization/agency-{world.riverton.pk}"
    assert encounter["period"]["start"] == _fhir_time(record.arrived_at)
    assert encounter["period"]["end"] == _fhir_time(record.cleared_at)
    disposition = encounter["hospitalization"]["dischargeDisposition"]["coding"][0]
    assert disposition["code"] == "crisis_facility"


def _fhir_time(value: Any) -> str:
    return value.isoformat().replace("+00:00", "Z")


def test_a_phone_only_encounter_is_class_vr(world) -> None:
    phone_team = TeamFactory(
        program=world.program,
        agency=world.harbor,
        call_sign="PH-1",
        response_type=ResponseType.PHONE_988,
    )
    call = make_call(world)
    assignment = unit_assign(
        actor=world.alice, call_id=call.pk, team_id=phone_team.pk, override_reason="phone only"
    )
    by_phone = system(
        Encounter.objects.select_related("call__agency", "call__triage", "team__agency"),
        reason="test",
    ).get(assignment=assignment)
    assert build.encounter_resource(by_phone, subject_pk=None)["class"]["code"] == "VR"

    # A call the protocol resolved by 988, with nobody arriving, is virtual too.
    call = make_call(world)
    system(TriageDecision.objects.filter(call=call), reason="test", action=Action.CHANGE).update(
        response_type=ResponseType.PHONE_988
    )
    assignment = unit_assign(
        actor=world.alice, call_id=call.pk, team_id=world.medic_team.pk, override_reason="test"
    )
    resolved = system(
        Encounter.objects.select_related("call__agency", "call__triage", "team__agency"),
        reason="test",
    ).get(assignment=assignment)
    assert build.encounter_resource(resolved, subject_pk=None)["class"]["code"] == "VR"
    resolved.arrived_at = timezone.now()
    assert build.encounter_resource(resolved, subject_pk=None)["class"]["code"] == "FLD"


def test_a_cssrs_screen_carries_each_items_loinc_code_and_the_risk_level(world, scene) -> None:
    bundle = fhir.bundle(person_id=scene["person"].pk, user=world.clara)
    (response,) = _resources(bundle, "QuestionnaireResponse")
    answers = {
        item["linkId"]: item["answer"][0]["valueCoding"]["code"] for item in response["item"]
    }
    # Items 1-6 were asked (2 was yes); 6b was not (6 was no).
    assert answers == {
        "93246-7": "LA33-6",
        "93247-5": "LA33-6",
        "93248-3": "LA32-8",
        "93249-1": "LA33-6",
        "93250-9": "LA32-8",
        "93267-3": "LA32-8",
    }
    assert {code for _, code in cssrs.ITEMS.values()} - set(answers) == {"93269-9"}
    assert response["status"] == "completed"
    patient = f"Patient/person-{scene['person'].pk}"
    encounter = f"Encounter/encounter-{scene['encounter'].pk}"
    assert response["subject"]["reference"] == patient
    assert response["encounter"]["reference"] == encounter
    (risk,) = _resources(bundle, "Observation")
    assert risk["code"]["coding"][0] == {
        "system": "http://loinc.org",
        "code": "93374-7",
        "display": "Suicide risk level",
    }
    assert risk["valueCodeableConcept"]["coding"][0]["code"] == "high"
    assert risk["subject"]["reference"] == patient
    assert risk["encounter"]["reference"] == encounter
    assert risk["derivedFrom"][0]["reference"] == f"QuestionnaireResponse/{response['id']}"


def test_a_referral_is_a_service_request_and_a_task_in_the_closed_loop_pattern(
    world, scene
) -> None:
    bundle = fhir.bundle(person_id=scene["person"].pk, user=world.kim)
    referral, resource = scene["referral"], scene["resource"]
    (request,) = _resources(bundle, "ServiceRequest")
    (task,) = _resources(bundle, "Task")
    assert task["id"] == request["id"] == f"referral-{referral.pk}"
    assert task["status"] == "requested" and task["intent"] == "order"
    assert task["focus"]["reference"] == f"ServiceRequest/referral-{referral.pk}"
    assert task["for"]["reference"] == f"Patient/person-{scene['person'].pk}"
    assert task["owner"]["reference"] == f"Organization/resource-{resource.pk}"
    assert task["code"]["coding"][0]["code"] == "fulfill"
    assert task["authoredOn"] and task["lastModified"]
    assert request["status"] == "active" and request["code"]["text"] == "Crisis respite beds"
    assert request["performer"][0]["reference"] == task["owner"]["reference"]
    providers = [
        o for o in _resources(bundle, "Organization") if o["id"] == f"resource-{resource.pk}"
    ]
    assert providers[0]["name"] == "Harbor Respite House"


def test_consents_show_the_recipient_the_period_and_whether_revoked(world, scene) -> None:
    bundle = fhir.bundle(person_id=scene["person"].pk, user=world.clara)
    consents = {c["id"]: c for c in _resources(bundle, "Consent")}
    given = consents[f"consent-{scene['consent'].pk}"]
    revoked = consents[f"consent-{scene['revoked'].pk}"]
    assert given["status"] == "active" and revoked["status"] == "inactive"
    assert given["scope"]["coding"][0]["code"] == "patient-privacy"
    assert given["patient"]["reference"] == f"Patient/person-{scene['person'].pk}"
    actor = given["provision"]["actor"][0]
    assert actor["reference"]["reference"] == f"Organization/agency-{world.harbor.pk}"
    assert actor["role"]["coding"][0]["code"] == "IRCP"
    assert given["policyRule"]["coding"][0]["code"] == "42CFRPart2"
    assert "end" not in given["provision"]["period"]
    assert revoked["provision"]["period"]["end"]
    assert revoked["provision"]["actor"][0]["reference"]["display"] == "Lakeside PD"


# --- Task updates ---------------------------------------------------------------------------


def test_a_referral_round_trips_through_its_task_and_the_same_status_twice_is_a_no_op(
    world, scene
) -> None:
    referral = scene["referral"]
    with sql_guard():
        task = fhir.export_task(referral.pk, user=world.kim)
        task["status"] = "accepted"
        assert fhir.apply_task_update(task, user=world.kim).status == "accepted"
    task["status"] = "completed"
    task["statusReason"] = {"text": "Lee moved into respite"}
    done = fhir.apply_task_update(task, user=world.kim)
    assert done.status == "completed"
    assert _history(referral.pk) == ["requested", "accepted", "completed"]
    last = system(ReferralStatusChange.objects.filter(referral_id=referral.pk), reason="t").last()
    assert last is not None and last.by == world.kim and "moved into respite" in last.note

    again = fhir.apply_task_update(copy.deepcopy(task), user=world.kim)
    assert again.status == "completed" and again.status_changed_at == done.status_changed_at
    assert _history(referral.pk) == ["requested", "accepted", "completed"]
    assert fhir.export_task(referral.pk, user=world.kim)["status"] == "completed"


def test_a_partners_own_copy_of_the_task_is_found_by_our_identifier(world, scene) -> None:
    referral = scene["referral"]
    task = fhir.export_task(referral.pk, user=world.kim)
    task["id"] = "partner-task-881"
    task["identifier"].insert(0, {"system": "https://partner.example/tasks", "value": "881"})
    task["status"] = "in-progress"
    assert fhir.apply_task_update(task, user=world.kim).status == "in-progress"


@pytest.mark.parametrize(
    ("change", "path", "says"),
    [
        (lambda t, s: t.update(status="done"), "Task.status", "'done' is not a Task status"),
        (lambda t, s: t.update(status="received"), "Task.status", "does not record"),
        (lambda t, s: t.pop("status"), "Task.status", "required"),
        (lambda t, s: t.update(status=3), "Task.status", "string"),
        (lambda t, s: t.update(lastModified="yesterday"), "Task.lastModified", "DateTime"),
        (lambda t, s: t.update(colour="blue"), "Task.colour", "Extra inputs"),
        (lambda t, s: t.update(resourceType="Patient"), "Task.resourceType", "'Patient'"),
        (lambda t, s: t.update(intent="plan"), "Task.intent", "'order'"),
        (
            lambda t, s: (t.update(id="referral-987654"), t.pop("identifier")),
            "Task.id",
            "no referral 'referral-987654'",
        ),
        (
            lambda t, s: (t.update(id="abc"), t.pop("identifier")),
            "Task.id",
            "not the id of a Task corespond exported",
        ),
        (lambda t, s: (t.pop("id"), t.pop("identifier")), "Task.id", "name the referral"),
        (
            lambda t, s: t["identifier"][0].update(value=str(s["referral"].pk + 1)),
            "Task.identifier[0].value",
            "but Task.id names referral",
        ),
        (
            lambda t, s: t.update(focus={"reference": "ServiceRequest/referral-1234"}),
            "Task.focus",
            "not 'ServiceRequest/referral-",
        ),
        (
            lambda t, s: t.update(**{"for": {"reference": "Patient/person-1234"}}),
            "Task.for",
            "not 'Patient/person-",
        ),
    ],
)
def test_a_task_that_cannot_be_taken_is_refused_by_path_and_writes_nothing(
    world, scene, change, path, says
) -> None:
    referral = scene["referral"]
    task = fhir.export_task(referral.pk, user=world.kim)
    task["status"] = "accepted"
    change(task, scene)
    with pytest.raises(fhir.TaskUpdateError) as refused:
        fhir.apply_task_update(task, user=world.kim)
    assert refused.value.path == path
    assert says in refused.value.message
    assert str(refused.value).startswith(f"{path}: ")
    assert _history(referral.pk) == ["requested"]


def test_the_exact_message_for_a_status_that_is_not_a_task_status(world, scene) -> None:
    task = fhir.export_task(scene["referral"].pk, user=world.kim)
    task["status"] = "done"
    with pytest.raises(fhir.TaskUpdateError, match=r"^Task\.status: 'done' is not a Task status$"):
        fhir.apply_task_update(task, user=world.kim)


def test_a_closed_loop_is_not_reopened_by_a_task(world, scene) -> None:
    referral = scene["referral"]
    care.referral_status_set(actor=world.kim, referral_id=referral.pk, status="completed")
    task = fhir.export_task(referral.pk, user=world.kim)
    task["status"] = "in-progress"
    with pytest.raises(fhir.TaskUpdateError) as refused:
        fhir.apply_task_update(task, user=world.kim)
    assert refused.value.path == "Task.status" and "closed" in refused.value.message
    assert _history(referral.pk) == ["requested", "completed"]


def test_a_payload_that_is_not_an_object_is_refused(world) -> None:
    with pytest.raises(fhir.TaskUpdateError) as refused:
        fhir.apply_task_update(["Task"], user=world.kim)
    assert refused.value.path == "Task"


def test_an_officer_cannot_see_nor_change_a_referral_through_a_task(world, scene) -> None:
    referral = scene["referral"]
    task = fhir.export_task(referral.pk, user=world.kim)
    with pytest.raises(Http404):
        fhir.export_task(referral.pk, user=world.oscar)
    task["status"] = "accepted"
    with pytest.raises(fhir.TaskUpdateError) as refused:
        fhir.apply_task_update(task, user=world.oscar)
    assert refused.value.path == "Task.id"
    # A program manager sees referrals but holds no care role: refused, nothing written.
    with pytest.raises(PermissionDenied):
        fhir.apply_task_update(task, user=world.manny)
    assert _history(referral.pk) == ["requested"]
    assert system(Referral.objects.all(), reason="test").get().status == "requested"
