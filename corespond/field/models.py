"""The field encounter: what happened when a team met the person."""

from __future__ import annotations

from datetime import datetime

from django.conf import settings
from django.db import models

from corespond.core.access import GatedManager, GatedModel
from corespond.core.models import Agency
from corespond.core.vocab import ContactOutcome, Disposition, TransportedBy
from corespond.core.vocab import Intervention as InterventionKind
from corespond.dispatch.models import Assignment, Team
from corespond.intake.models import Call
from corespond.people.models import Person

# The six standard time stamps, in the order they happen.
TIMESTAMP_FIELDS = (
    "received_at",
    "dispatched_at",
    "en_route_at",
    "arrived_at",
    "engaged_at",
    "cleared_at",
)

# Every stamp a team can tap, in order: the six standard ones plus the two transport stamps
# (the "transporting" and "at destination" unit statuses), which no standard interval uses.
STAMP_ORDER = (
    "received_at",
    "dispatched_at",
    "en_route_at",
    "arrived_at",
    "engaged_at",
    "transport_started_at",
    "destination_arrived_at",
    "cleared_at",
)

# Derived intervals (spec/vocabularies.md): name -> (start field, end field).
INTERVALS = {
    "queue": ("received_at", "dispatched_at"),
    "travel": ("dispatched_at", "arrived_at"),
    "response": ("received_at", "arrived_at"),
    "on_scene": ("arrived_at", "cleared_at"),
}


class Encounter(GatedModel):
    """A team's response to a call: time stamps, contact outcome, disposition and flags."""

    GATE_PROGRAM_PATH = "call__program"
    # For the sharing policy (sharing/policy.py): category, recording agency, person.
    GATE_CATEGORY = "encounter"
    GATE_OWNER_PATH = "call__agency"
    GATE_PERSON_PATH = "people"

    call = models.ForeignKey(Call, on_delete=models.PROTECT, related_name="encounters")
    assignment = models.OneToOneField(
        Assignment, null=True, blank=True, on_delete=models.PROTECT, related_name="encounter"
    )
    team = models.ForeignKey(Team, null=True, blank=True, on_delete=models.PROTECT)
    received_at = models.DateTimeField(null=True, blank=True)
    dispatched_at = models.DateTimeField(null=True, blank=True)
    en_route_at = models.DateTimeField(null=True, blank=True)
    arrived_at = models.DateTimeField(null=True, blank=True)
    engaged_at = models.DateTimeField(null=True, blank=True)
    transport_started_at = models.DateTimeField(null=True, blank=True)
    destination_arrived_at = models.DateTimeField(null=True, blank=True)
    cleared_at = models.DateTimeField(null=True, blank=True)
    # On a co-response team, when the officer left while the clinician stayed: the officer
    # time a program returns to patrol (spec/metrics.md, police.*). Empty: left together.
    officer_cleared_at = models.DateTimeField(null=True, blank=True)
    contact_outcome = models.CharField(
        max_length=32, choices=ContactOutcome.choices, default=ContactOutcome.UNKNOWN
    )
    disposition = models.CharField(
        max_length=32, choices=Disposition.choices, default=Disposition.UNKNOWN
    )
    # Source wording kept beside the code (imports, and "other").
    disposition_text = models.CharField(max_length=200, blank=True)
    involuntary_hold = models.BooleanField(default=False)
    use_of_force = models.BooleanField(default=False)
    injury_person = models.BooleanField(default=False)
    injury_staff = models.BooleanField(default=False)
    transported_by = models.CharField(
        max_length=16, choices=TransportedBy.choices, default=TransportedBy.NONE
    )
    service_provided = models.BooleanField(
        default=False, help_text="An intervention or referral was given on scene."
    )
    people: models.ManyToManyField[Person, EncounterPerson] = models.ManyToManyField(
        Person, through="EncounterPerson", related_name="encounters"
    )
    completed_at = models.DateTimeField(null=True, blank=True)
    # Supervisor review of a critical incident (hold, use of force, injury).
    critical_reviewed_at = models.DateTimeField(null=True, blank=True)
    critical_reviewed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    critical_review_note = models.CharField(max_length=500, blank=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    updated_at = models.DateTimeField(auto_now=True)
    external_id = models.CharField(max_length=64, blank=True)

    objects = GatedManager()

    class Meta:
        ordering = ["-received_at", "-id"]
        indexes = [models.Index(fields=["received_at"])]

    def __str__(self) -> str:
        return f"Encounter {self.pk} for {self.call_id}"

    def interval_minutes(self, name: str) -> float | None:
        """Minutes between the two stamps of ``name``; None if one is missing.

        Negative values are returned as they are: the metrics module excludes and counts them.
        """
        start_field, end_field = INTERVALS[name]
        start: datetime | None = getattr(self, start_field)
        end: datetime | None = getattr(self, end_field)
        if start is None or end is None:
            return None
        return (end - start).total_seconds() / 60

    @property
    def is_critical_incident(self) -> bool:
        return self.involuntary_hold or self.use_of_force or self.injury_person or self.injury_staff

    @staticmethod
    def critical() -> models.Q:
        """Encounters a supervisor must review: a hold, force, or an injury."""
        return (
            models.Q(involuntary_hold=True)
            | models.Q(use_of_force=True)
            | models.Q(injury_person=True)
            | models.Q(injury_staff=True)
        )


class EncounterPerson(GatedModel):
    """A person involved in an encounter, and how."""

    GATE_PROGRAM_PATH = "encounter__call__program"
    # For the sharing policy (sharing/policy.py): category, recording agency, person.
    GATE_CATEGORY = "identity"
    GATE_OWNER_PATH = "encounter__call__agency"
    GATE_PERSON_PATH = "person"

    class Involvement(models.TextChoices):
        SUBJECT = "subject", "Person in crisis"
        CALLER = "caller", "Caller / reporting party"
        FAMILY = "family", "Family or support"
        OTHER = "other", "Other"

    encounter = models.ForeignKey(Encounter, on_delete=models.CASCADE)
    person = models.ForeignKey(Person, on_delete=models.PROTECT)
    involvement = models.CharField(
        max_length=16, choices=Involvement.choices, default=Involvement.SUBJECT
    )

    objects = GatedManager()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["encounter", "person"], name="encounter_person_unique")
        ]

    def __str__(self) -> str:
        return f"{self.person_id} in {self.encounter_id}"


class Screening(GatedModel):
    """A C-SSRS screen given during an encounter (field/cssrs.py has the items and scoring)."""

    GATE_PROGRAM_PATH = "encounter__call__program"
    # For the sharing policy (sharing/policy.py): category, recording agency, person.
    GATE_CATEGORY = "screening"
    GATE_OWNER_PATH = "encounter__call__agency"
    GATE_PERSON_PATH = "person"

    class RiskLevel(models.TextChoices):
        NONE = "none", "None"
        LOW = "low", "Low"
        MODERATE = "moderate", "Moderate"
        HIGH = "high", "High"

    encounter = models.ForeignKey(Encounter, on_delete=models.PROTECT, related_name="screenings")
    person = models.ForeignKey(Person, null=True, blank=True, on_delete=models.PROTECT)
    q1 = models.BooleanField(null=True)
    q2 = models.BooleanField(null=True)
    q3 = models.BooleanField(null=True)
    q4 = models.BooleanField(null=True)
    q5 = models.BooleanField(null=True)
    q6 = models.BooleanField(null=True)
    q6b = models.BooleanField(null=True)
    risk_level = models.CharField(max_length=16, choices=RiskLevel.choices)
    screened_at = models.DateTimeField()
    screened_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )

    objects = GatedManager()

    class Meta:
        ordering = ["-screened_at", "-id"]

    def __str__(self) -> str:
        return f"C-SSRS {self.risk_level} (encounter {self.encounter_id})"


class EncounterDraft(GatedModel):
    """What one team member has typed into the encounter record but not saved yet: kept on
    the server as they type, so a reload, a dead battery or a dropped connection loses
    nothing. Removed when the record is saved."""

    GATE_PROGRAM_PATH = "encounter__call__program"
    # For the sharing policy (sharing/policy.py): category, recording agency, person.
    GATE_CATEGORY = "encounter"
    GATE_OWNER_PATH = "encounter__call__agency"
    GATE_PERSON_PATH = "encounter__people"

    encounter = models.ForeignKey(Encounter, on_delete=models.CASCADE, related_name="drafts")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    values = models.JSONField(default=dict)
    saved_at = models.DateTimeField()

    objects = GatedManager()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["encounter", "user"], name="one_draft_per_user")
        ]

    def __str__(self) -> str:
        return f"draft of encounter {self.encounter_id} by {self.user_id}"


class Intervention(GatedModel):
    """One kind of help the team gave on scene, tapped once on the phone."""

    GATE_PROGRAM_PATH = "encounter__call__program"
    # For the sharing policy (sharing/policy.py): category, recording agency, person.
    GATE_CATEGORY = "encounter"
    GATE_OWNER_PATH = "encounter__call__agency"
    GATE_PERSON_PATH = "encounter__people"

    encounter = models.ForeignKey(Encounter, on_delete=models.CASCADE, related_name="interventions")
    kind = models.CharField(max_length=32, choices=InterventionKind.choices)
    recorded_at = models.DateTimeField()
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )

    objects = GatedManager()

    class Meta:
        ordering = ["recorded_at", "id"]
        constraints = [
            models.UniqueConstraint(fields=["encounter", "kind"], name="one_intervention_per_kind")
        ]

    def __str__(self) -> str:
        return f"{self.kind} (encounter {self.encounter_id})"


class NoteBase(GatedModel):
    """A note written about an encounter. Notes are never edited: a correction is an
    addendum that names the note it amends, so what a reader was shown can be produced.

    The note belongs to the author's agency, not to the agency that received the call: a
    provider's clinical notes stay the provider's, shared only as its agreements say.
    """

    GATE_PROGRAM_PATH = "encounter__call__program"
    GATE_OWNER_PATH = "author_agency"
    GATE_PERSON_PATH = "person"

    encounter = models.ForeignKey(Encounter, on_delete=models.PROTECT, related_name="+")
    person = models.ForeignKey(Person, null=True, blank=True, on_delete=models.PROTECT)
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    author_agency = models.ForeignKey(Agency, on_delete=models.PROTECT, related_name="+")
    text = models.TextField(max_length=8000)
    written_at = models.DateTimeField()
    amends = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="addenda"
    )

    objects = GatedManager()

    class Meta:
        abstract = True
        ordering = ["written_at", "id"]


class ClinicalNote(NoteBase):
    """A behavioural-health professional's note: the ``clinical_note`` category."""

    GATE_CATEGORY = "clinical_note"

    def __str__(self) -> str:
        return f"clinical note {self.pk} (encounter {self.encounter_id})"


class Part2Note(NoteBase):
    """A note from a substance-use treatment program covered by 42 CFR Part 2: the
    ``sud_part2`` category, shown outside its agency only with the person's consent, and
    always with the redisclosure notice."""

    GATE_CATEGORY = "sud_part2"

    def __str__(self) -> str:
        return f"Part 2 note {self.pk} (encounter {self.encounter_id})"
