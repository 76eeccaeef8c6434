"""NENA EIDO in and out: one triaged call per incident however often it is sent, updates by
time stamp, precise errors with nothing written, unknown components kept."""

from __future__ import annotations

import json
from datetime import timedelta
from io import StringIO

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from corespond.intake.models import Call
from corespond.interop import eido
from corespond.interop.models import EidoIncident
from tests.interop.eido_samples import cad_eido
from tests.journey import encounter_of

pytestmark = pytest.mark.django_db


def _receive(world, document):
    return eido.receive(document, actor=world.alice, program=world.program, agency=world.riverton)


def test_an_eido_makes_one_triaged_call_and_the_same_object_twice_changes_nothing(world):
    document = cad_eido()
    first = _receive(world, document)
    assert first.result == eido.CREATED
    call = Call._base_manager.get(pk=first.call_id)
    assert call.call_type == "EDP"  # "Mental health crisis" in the registry text
    assert call.source_call_type == "PSYCH"  # the CAD's own code, for the protocol's table
    assert call.behavioral_health is True
    assert call.address == "41 Birch Ave, Riverton"
    assert "brother" in call.description
    assert call.triage.eligible is True
    assert call.external_id.startswith("urn:nena:uid:incident")
    again = _receive(world, json.loads(json.dumps(document)))
    assert again.result == eido.UNCHANGED and again.call_id == first.call_id
    assert Call._base_manager.count() == 1 and EidoIncident._base_manager.count() == 1


def test_a_later_version_updates_the_call_and_an_older_one_is_ignored(world):
    document = cad_eido()
    made = _receive(world, document)
    held = EidoIncident._base_manager.get()
    later = cad_eido(
        updated=held.last_update + timedelta(minutes=3),
        received=Call._base_manager.get().received_at,
        weapon=True,
        notes=("Caller is the brother.", "Subject now has a kitchen knife."),
    )
    updated = _receive(world, later)
    assert updated.result == eido.UPDATED
    call = Call._base_manager.get(pk=made.call_id)
    assert call.weapons is True and "kitchen knife" in call.description
    older = cad_eido(updated=held.last_update - timedelta(minutes=1))
    ignored = _receive(world, older)
    assert ignored.result == eido.IGNORED and "older than the version held" in ignored.message
    assert Call._base_manager.get(pk=made.call_id).weapons is True


@pytest.mark.parametrize(
    ("change", "path"),
    [
        (lambda d: d.pop("lastUpdateTimeStamp"), "lastUpdateTimeStamp"),
        (lambda d: d.update(lastUpdateTimeStamp="yesterday"), "lastUpdateTimeStamp"),
        (lambda d: d.update(lastUpdateTimeStamp="2026-03-10T10:00:00"), "lastUpdateTimeStamp"),
        (
            lambda d: d["incidentComponent"][0].pop("incidentTypeCommonRegistryText"),
            "incidentComponent[0].incidentTypeCommonRegistryText",
        ),
        (
            lambda d: d["incidentComponent"][0].update(incidentTrackingIdentifier=7),
            "incidentComponent[0].incidentTrackingIdentifier",
        ),
        (
            lambda d: d["incidentComponent"][0].update(locationReference=[{"$ref": "nowhere"}]),
            "incidentComponent[0].locationReference[0].$ref",
        ),
        (
            lambda d: d.update(updatedByAgencyReference={"$ref": "location-1"}),
            "updatedByAgencyReference.$ref",
        ),
        (
            lambda d: d["personComponent"][0].update(personWeaponInvolvedIndicator="maybe"),
            "personComponent[0].personWeaponInvolvedIndicator",
        ),
        (
            lambda d: d["locationComponent"][0].update(latitude=123),
            "locationComponent[0].latitude",
        ),
        (lambda d: d["notesComponent"].append({"noteText": "x"}), "notesComponent[1].$id"),
        (lambda d: d.update(incidentComponent=[]), "incidentComponent"),
    ],
)
def test_malformed_objects_name_the_component_and_field_and_write_nothing(world, change, path):
    document = cad_eido()
    change(document)
    with pytest.raises(eido.EidoError) as caught:
        _receive(world, document)
    assert caught.value.path == path
    assert Call._base_manager.count() == 0 and EidoIncident._base_manager.count() == 0


def test_a_call_time_outside_live_intake_is_refused_at_its_field(world):
    from django.utils import timezone

    document = cad_eido(received=timezone.now() - timedelta(days=40))
    with pytest.raises(eido.EidoError) as caught:
        _receive(world, document)
    assert caught.value.path == "incidentComponent[0].incidentCreationTimeStamp"
    assert Call._base_manager.count() == 0


def test_the_incident_goes_back_as_eido_with_dispatches_disposition_and_unknown_parts(world):
    from corespond.dispatch.services import unit_assign
    from corespond.field.services import encounter_update

    made = _receive(world, cad_eido())
    assignment = unit_assign(actor=world.alice, call_id=made.call_id, team_id=world.team.pk)
    encounter = encounter_of(assignment)
    encounter_update(
        actor=world.clara, encounter_id=encounter.pk, disposition="remained_in_community"
    )
    out = eido.export(made.incident_id, user=world.alice)
    assert out["incidentComponent"][0]["incidentTrackingIdentifier"] == made.incident_id
    assert out["incidentComponent"][0]["incidentDispositionCommonRegistryText"] == [
        "remained_in_community"
    ]
    (dispatch,) = out["dispatchComponent"]
    assert dispatch["dispatchedUnitIdentifier"] == world.team.call_sign
    assert dispatch["incidentReference"] == {"$ref": "incident-1"}
    assert out["vehicleComponent"] == [{"$id": "vehicle-1", "vehicleMakeText": "Subaru"}]
    assert out["personComponent"][0]["ncPersonComponent"]["PersonName"]["PersonSurName"] == "Quill"
    # What goes out is itself a valid EIDO: the CAD (or corespond) can read it back.
    eido.parse(out)
    # An agency outside the program cannot read it.
    with pytest.raises(Exception, match="No incident"):
        eido.export(made.incident_id, user=world.olga)


def test_the_command_imports_a_file_of_eidos_and_reports_each(world, tmp_path):
    path = tmp_path / "cad.json"
    second = cad_eido("urn:nena:uid:incident:riverton-cad:2026-000124")
    first = cad_eido()
    path.write_text(json.dumps([first, second, first]))
    out = StringIO()
    call_command(
        "eido", "import", str(path), "--user", "alice", "--program", "riverside", stdout=out
    )
    text = out.getvalue()
    assert text.count("created") == 2 and "unchanged" in text
    assert Call._base_manager.count() == 2
    bad = tmp_path / "bad.json"
    bad.write_text('{"$id": "x"}')
    with pytest.raises(CommandError, match="lastUpdateTimeStamp"):
        call_command("eido", "import", str(bad), "--user", "alice", stdout=StringIO())


def test_an_incident_imported_from_cad_history_is_linked_not_made_twice(world):
    from tests.factories import CallFactory

    document = cad_eido()
    incident = document["incidentComponent"][0]["incidentTrackingIdentifier"]
    imported = CallFactory(program=world.program, agency=world.riverton, external_id=incident)
    outcome = _receive(world, document)
    assert outcome.result == eido.UPDATED and outcome.call_id == imported.pk
    assert "imported earlier" in outcome.message
    assert Call._base_manager.count() == 1


def test_a_cad_clock_a_little_ahead_is_not_a_call_from_the_future(world):
    from django.utils import timezone

    ahead = timezone.now() + timedelta(minutes=2)
    outcome = _receive(world, cad_eido(received=ahead, updated=ahead))
    assert outcome.result == eido.CREATED
    assert Call._base_manager.get().received_at <= timezone.now()


def test_an_account_without_identity_gets_the_incident_without_its_people(world):
    from corespond.core.vocab import Role
    from tests.factories import UserFactory

    made = _receive(world, cad_eido())
    admin = UserFactory(username="riverton-admin", roles=[(world.riverton, Role.AGENCY_ADMIN)])
    out = eido.export(made.incident_id, user=admin)
    assert "personComponent" not in out and "notesComponent" not in out
    assert "personReference" not in out["incidentComponent"][0]
    assert out["vehicleComponent"]  # what is not about people still goes back
    assert "personComponent" in eido.export(made.incident_id, user=world.alice)
