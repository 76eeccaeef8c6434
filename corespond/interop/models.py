"""What corespond keeps of the objects CAD sends it."""

from __future__ import annotations

from django.db import models

from corespond.core.access import GatedManager, GatedModel
from corespond.core.models import Program
from corespond.intake.models import Call


class EidoIncident(GatedModel):
    """The last accepted NENA EIDO for one CAD incident, whole (components corespond does
    not read are kept and sent back), and the call made from it. Person components make
    it person-level: it is gated like the call it belongs to."""

    GATE_PROGRAM_PATH = "call__program"
    GATE_CATEGORY = "incident"
    GATE_OWNER_PATH = "call__agency"
    GATE_PERSON_PATH = "call__encounters__people"

    # A CAD's incident ids are its own: two programs' CADs may use the same one.
    program = models.ForeignKey(Program, on_delete=models.PROTECT, related_name="+")
    incident_id = models.CharField(max_length=255)
    call = models.OneToOneField(Call, on_delete=models.PROTECT, related_name="eido")
    eido_id = models.CharField(max_length=255)
    last_update = models.DateTimeField()
    updated_by_agency = models.CharField(max_length=255, blank=True)
    document = models.JSONField()
    received_at = models.DateTimeField(auto_now=True)

    objects = GatedManager()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["program", "incident_id"], name="eido_incident_once")
        ]

    def __str__(self) -> str:
        return f"EIDO {self.incident_id}"
