"""Follow-up care, closed-loop referrals and the community resource directory."""

from __future__ import annotations

from django.conf import settings
from django.db import models

from corespond.core.access import GatedManager, GatedModel
from corespond.core.models import Program
from corespond.core.vocab import AttemptMethod, FollowUpOutcome, ReferralStatus
from corespond.field.models import Encounter
from corespond.people.models import Person


class Resource(models.Model):
    """A service in the community directory, in the shape of Open Referral HSDS 3.0: the
    service with its organization, one location, phones, languages, eligibility, weekly
    schedule and capacity (care/directory.py reads and writes HSDS JSON and CSV).

    Not person-level data: anyone in the program may read the directory.
    """

    class Status(models.TextChoices):
        ACTIVE = "active", "Active"
        INACTIVE = "inactive", "Inactive"
        DEFUNCT = "defunct", "Defunct"
        TEMPORARILY_CLOSED = "temporarily closed", "Temporarily closed"

    program = models.ForeignKey(Program, on_delete=models.CASCADE, related_name="resources")
    organization = models.CharField(max_length=200)
    name = models.CharField(max_length=200)
    category = models.CharField(max_length=64, db_index=True)
    description = models.TextField(blank=True)
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.ACTIVE)
    address = models.CharField(max_length=200, blank=True)
    latitude = models.FloatField(null=True, blank=True)
    longitude = models.FloatField(null=True, blank=True)
    phone = models.CharField(max_length=32, blank=True)
    email = models.CharField(max_length=200, blank=True)
    # Free-text hours (HSDS schedule description); the weekly times are ResourceSchedule rows.
    hours = models.CharField(max_length=120, blank=True)
    languages = models.CharField(max_length=200, blank=True, help_text="Comma-separated.")
    eligibility = models.CharField(max_length=200, blank=True)
    min_age = models.PositiveSmallIntegerField(null=True, blank=True)
    max_age = models.PositiveSmallIntegerField(null=True, blank=True)
    # Capacity (HSDS service_capacity): units available now, of a maximum, as of a time.
    open_beds = models.PositiveIntegerField(null=True, blank=True)
    capacity_maximum = models.PositiveIntegerField(null=True, blank=True)
    capacity_unit = models.CharField(max_length=40, blank=True, default="bed")
    capacity_updated_at = models.DateTimeField(null=True, blank=True)
    # When the service's details were last checked (HSDS assured_date).
    verified_at = models.DateTimeField(null=True, blank=True)
    external_id = models.CharField(max_length=64, blank=True)
    organization_external_id = models.CharField(max_length=64, blank=True)
    location_external_id = models.CharField(max_length=64, blank=True)

    class Meta:
        ordering = ["category", "name"]
        constraints = [
            models.UniqueConstraint(
                fields=["program", "external_id"],
                condition=~models.Q(external_id=""),
                name="resource_external_id_unique",
            )
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.organization})"

    def category_label(self) -> str:
        return self.category.replace("_", " ")

    def language_list(self) -> list[str]:
        return [part.strip() for part in self.languages.split(",") if part.strip()]


class ResourceSchedule(models.Model):
    """A weekly opening (HSDS schedule with freq WEEKLY and one day in byday), in the
    program's time zone. A closing time before the opening time runs past midnight."""

    WEEKDAYS = ("MO", "TU", "WE", "TH", "FR", "SA", "SU")

    resource = models.ForeignKey(Resource, on_delete=models.CASCADE, related_name="schedules")
    weekday = models.PositiveSmallIntegerField(help_text="0 = Monday … 6 = Sunday")
    opens_at = models.TimeField()
    closes_at = models.TimeField()

    class Meta:
        ordering = ["resource", "weekday", "opens_at"]
        constraints = [
            models.CheckConstraint(condition=models.Q(weekday__lte=6), name="schedule_weekday"),
        ]

    def __str__(self) -> str:
        return f"{self.WEEKDAYS[self.weekday]} {self.opens_at:%H:%M}-{self.closes_at:%H:%M}"


class FollowUp(GatedModel):
    """A task to reach a person after an encounter, due within the program's window."""

    GATE_PROGRAM_PATH = "encounter__call__program"
    # For the sharing policy (sharing/policy.py): category, recording agency, person.
    GATE_CATEGORY = "encounter"
    GATE_OWNER_PATH = "encounter__call__agency"
    GATE_PERSON_PATH = "person"

    class Kind(models.TextChoices):
        FOLLOW_UP = "follow_up", "Follow-up after an encounter"
        OUTREACH = "outreach", "Proactive outreach (repeated crises)"

    encounter = models.ForeignKey(Encounter, on_delete=models.PROTECT, related_name="followups")
    person = models.ForeignKey(Person, null=True, blank=True, on_delete=models.PROTECT)
    kind = models.CharField(max_length=16, choices=Kind.choices, default=Kind.FOLLOW_UP)
    due_at = models.DateTimeField(db_index=True)
    outcome = models.CharField(
        max_length=32, choices=FollowUpOutcome.choices, default=FollowUpOutcome.PENDING
    )
    assigned_to = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField()
    closed_at = models.DateTimeField(null=True, blank=True)

    objects = GatedManager()

    class Meta:
        ordering = ["due_at", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["encounter", "person", "kind"], name="one_followup_per_encounter_person"
            )
        ]

    def __str__(self) -> str:
        return f"Follow-up {self.pk} due {self.due_at:%Y-%m-%d}"


class FollowUpAttempt(GatedModel):
    """One try to reach the person: by phone, visit or text."""

    GATE_PROGRAM_PATH = "followup__encounter__call__program"
    # For the sharing policy (sharing/policy.py): category, recording agency, person.
    GATE_CATEGORY = "referral"
    GATE_OWNER_PATH = "followup__encounter__call__agency"
    GATE_PERSON_PATH = "followup__person"

    followup = models.ForeignKey(FollowUp, on_delete=models.CASCADE, related_name="attempts")
    at = models.DateTimeField()
    method = models.CharField(max_length=16, choices=AttemptMethod.choices)
    reached = models.BooleanField()
    note = models.CharField(max_length=500, blank=True)
    by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    objects = GatedManager()

    class Meta:
        ordering = ["at", "id"]

    def __str__(self) -> str:
        return f"{self.method} at {self.at:%Y-%m-%d %H:%M}"


class Referral(GatedModel):
    """A referral of a person to a resource, tracked until the loop closes."""

    GATE_PROGRAM_PATH = "person__program"
    # For the sharing policy (sharing/policy.py): category, recording agency, person.
    GATE_CATEGORY = "referral"
    GATE_OWNER_PATH = "person__recorded_by_agency"
    GATE_PERSON_PATH = "person"

    person = models.ForeignKey(Person, on_delete=models.PROTECT, related_name="referrals")
    encounter = models.ForeignKey(
        Encounter, null=True, blank=True, on_delete=models.PROTECT, related_name="referrals"
    )
    resource = models.ForeignKey(Resource, on_delete=models.PROTECT, related_name="referrals")
    status = models.CharField(
        max_length=20, choices=ReferralStatus.choices, default=ReferralStatus.REQUESTED
    )
    status_changed_at = models.DateTimeField()
    created_at = models.DateTimeField()

    objects = GatedManager()

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"Referral {self.pk} to {self.resource_id} ({self.status})"


class ReferralStatusChange(GatedModel):
    """History of a referral's status: who said so and when (the closed loop's evidence)."""

    GATE_PROGRAM_PATH = "referral__person__program"
    # For the sharing policy (sharing/policy.py): category, recording agency, person.
    GATE_CATEGORY = "referral"
    GATE_OWNER_PATH = "referral__person__recorded_by_agency"
    GATE_PERSON_PATH = "referral__person"

    referral = models.ForeignKey(Referral, on_delete=models.CASCADE, related_name="history")
    status = models.CharField(max_length=20, choices=ReferralStatus.choices)
    at = models.DateTimeField()
    by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    note = models.CharField(max_length=300, blank=True)

    objects = GatedManager()

    class Meta:
        ordering = ["at", "id"]

    def __str__(self) -> str:
        return f"{self.referral_id} -> {self.status}"
