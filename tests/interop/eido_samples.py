"""EIDO test objects written for corespond from the field names of NENA-STA-021 (no third-party
schema or sample is copied). Times are relative to now, since calls older than 30 days are
refused at live intake."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from django.utils import timezone


def cad_eido(
    incident: str = "urn:nena:uid:incident:riverton-cad:2026-000123",
    *,
    updated: datetime | None = None,
    received: datetime | None = None,
    mental_state: str = "Agitated, talking about ending his life",
    weapon: bool = False,
    notes: tuple[str, ...] = ("Caller is the brother; subject alone in the apartment.",),
) -> dict[str, Any]:
    """A CAD's EIDO for a person in crisis, with every component corespond reads and one it
    does not (a vehicle) to show that unknown components survive."""
    received = received or timezone.now() - timedelta(minutes=6)
    updated = updated or received + timedelta(minutes=1)
    return {
        "$id": f"urn:nena:uid:eido:riverton-cad:{int(updated.timestamp())}",
        "lastUpdateTimeStamp": updated.isoformat(),
        "updatedByAgencyReference": {"$ref": "agency-1"},
        "eidoVersion": "1.0",
        "issuingElementIdentification": "cad.riverton.example",
        "agencyComponent": [
            {
                "$id": "agency-1",
                "agencyIdentifier": "urn:nena:agency:riverton-pd.example",
                "agencyName": "Riverton Police Department",
            }
        ],
        "incidentComponent": [
            {
                "$id": "incident-1",
                "incidentTrackingIdentifier": incident,
                "incidentCreationTimeStamp": received.isoformat(),
                "incidentTypeCommonRegistryText": ["Mental health crisis"],
                "incidentTypeInternalCode": "PSYCH",
                "incidentStatusCommonRegistryText": ["Pending"],
                "incidentPriorityText": "2",
                "locationReference": [{"$ref": "location-1"}],
                "personReference": [{"$ref": "person-1"}],
            }
        ],
        "callComponent": [
            {
                "$id": "call-1",
                "callStartTimeStamp": received.isoformat(),
                "callTypeDescriptionText": "911 wireless",
            }
        ],
        "locationComponent": [
            {
                "$id": "location-1",
                "civicAddress": {"HNO": "41", "RD": "Birch", "STS": "Ave", "A3": "Riverton"},
                "latitude": 44.05,
                "longitude": -123.09,
            }
        ],
        "personComponent": [
            {
                "$id": "person-1",
                "ncPersonComponent": {
                    "PersonName": {"PersonGivenName": "Sam", "PersonSurName": "Quill"},
                    "PersonAgeMeasure": {"MeasureIntegerValue": 34},
                },
                "personMentalStateText": mental_state,
                "personWeaponInvolvedIndicator": weapon,
            }
        ],
        "notesComponent": [
            {
                "$id": f"note-{i}",
                "noteDateTimeStamp": received.isoformat(),
                "noteText": text,
                "authorReference": {"$ref": "agency-1"},
            }
            for i, text in enumerate(notes, start=1)
        ],
        "dispatchComponent": [],
        "vehicleComponent": [{"$id": "vehicle-1", "vehicleMakeText": "Subaru"}],
    }
