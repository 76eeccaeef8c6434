"""The person index: the people the program meets, shared by its agencies."""

from __future__ import annotations

from django.db import models

from corespond.core.access import GatedManager, GatedModel
from corespond.core.models import Agency, Program


class Person(GatedModel):
    """Someone a team met or was called about. Identity and demographics are person-level data.

    Records of the same person from different agencies are linked by the record-linkage work
    (people.linkage, a later issue); until then each record stands alone.
    """

    GATE_PROGRAM_PATH = "program"
    # For the sharing policy (sharing/policy.py): category, recording agency, person.
    GATE_CATEGORY = "identity"
    GATE_OWNER_PATH = "recorded_by_agency"
    GATE_PERSON_PATH = "pk"

    program = models.ForeignKey(Program, on_delete=models.PROTECT, related_name="people")
    recorded_by_agency = models.ForeignKey(Agency, on_delete=models.PROTECT)
    given_name = models.CharField(max_length=100)
    family_name = models.CharField(max_length=100, blank=True)
    birth_date = models.DateField(null=True, blank=True)
    sex = models.CharField(max_length=32, blank=True)
    race_ethnicity = models.CharField(max_length=64, blank=True)
    veteran = models.BooleanField(null=True, blank=True)
    phone = models.CharField(max_length=32, blank=True)
    address = models.CharField(max_length=200, blank=True)
    # Stable id from a source system or the demo loader, for idempotent loading.
    external_id = models.CharField(max_length=64, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    objects = GatedManager()

    class Meta:
        ordering = ["family_name", "given_name", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["program", "external_id"],
                condition=~models.Q(external_id=""),
                name="person_external_id_unique",
            )
        ]
        indexes = [models.Index(fields=["program", "family_name", "given_name"])]

    def __str__(self) -> str:
        return f"{self.given_name} {self.family_name}".strip()
