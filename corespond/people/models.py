"""The person index: the people the program meets, shared by its agencies."""

from __future__ import annotations

from django.conf import settings
from django.db import models

from corespond.core.access import GatedManager, GatedModel
from corespond.core.models import Agency, Program
from corespond.core.vocab import SafetyFlagKind


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


class SafetyPlan(GatedModel):
    """One version of a person's Stanley-Brown safety plan. A change is a new version; the
    old ones stay, so what a responder was shown on a given day can be produced."""

    GATE_PROGRAM_PATH = "person__program"
    # For the sharing policy (sharing/policy.py): category, recording agency, person.
    GATE_CATEGORY = "safety_plan"
    GATE_OWNER_PATH = "person__recorded_by_agency"
    GATE_PERSON_PATH = "person"

    # The six sections, in the order the plan is worked through.
    SECTIONS = (
        ("warning_signs", "1. Warning signs that a crisis may be developing"),
        ("internal_coping", "2. Things I can do on my own to take my mind off my problems"),
        ("social_distraction", "3. People and places that help take my mind off things"),
        ("people_to_ask", "4. People I can ask for help"),
        ("professionals", "5. Professionals and agencies I can contact in a crisis"),
        ("safe_environment", "6. Making the environment safe"),
    )

    person = models.ForeignKey(Person, on_delete=models.PROTECT, related_name="safety_plans")
    version = models.PositiveIntegerField()
    warning_signs = models.TextField(blank=True)
    internal_coping = models.TextField(blank=True)
    social_distraction = models.TextField(blank=True)
    people_to_ask = models.TextField(blank=True)
    professionals = models.TextField(blank=True)
    safe_environment = models.TextField(blank=True)
    created_at = models.DateTimeField()
    created_by = models.ForeignKey(
        "core.User", null=True, on_delete=models.SET_NULL, related_name="+"
    )

    objects = GatedManager()

    class Meta:
        ordering = ["person", "-version"]
        constraints = [
            models.UniqueConstraint(fields=["person", "version"], name="safety_plan_version")
        ]

    def __str__(self) -> str:
        return f"safety plan v{self.version} of person {self.person_id}"

    def sections(self) -> list[tuple[str, str]]:
        return [(label, getattr(self, name)) for name, label in self.SECTIONS]


class SafetyFlag(GatedModel):
    """A fact responders should know before they arrive (the ``safety`` category): shown in
    the safety briefing of every encounter the person is linked to. Retired, not deleted,
    when it no longer holds."""

    GATE_PROGRAM_PATH = "person__program"
    # For the sharing policy (sharing/policy.py): category, recording agency, person.
    GATE_CATEGORY = "safety"
    GATE_OWNER_PATH = "agency"
    GATE_PERSON_PATH = "person"

    person = models.ForeignKey(Person, on_delete=models.PROTECT, related_name="safety_flags")
    agency = models.ForeignKey(Agency, on_delete=models.PROTECT, related_name="+")
    kind = models.CharField(max_length=32, choices=SafetyFlagKind.choices)
    note = models.CharField(max_length=300, blank=True)
    created_at = models.DateTimeField()
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    retired_at = models.DateTimeField(null=True, blank=True)

    objects = GatedManager()

    class Meta:
        ordering = ["person", "-created_at", "-id"]

    def __str__(self) -> str:
        return f"{self.kind} flag on person {self.person_id}"
