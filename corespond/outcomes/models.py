"""The cost-offset model's assumptions: every figure editable per program, with its source and
a low/high range (outcomes/costs.py computes the offsets from them)."""

from __future__ import annotations

from django.conf import settings
from django.db import models

from corespond.core.access import GatedManager, GatedModel
from corespond.core.models import Program


class CostAssumption(models.Model):
    """One input of the cost-offset model for one program. An empty value means "not set":
    the components that need it are left out of the total, and say so."""

    class Key(models.TextChoices):
        ED_VISIT_COST = "ed_visit_cost", "Emergency-department visit (USD)"
        BOOKING_COST = "booking_cost", "Jail booking (USD)"
        JAIL_BED_DAY_COST = "jail_bed_day_cost", "Jail bed-day (USD)"
        JAIL_DAYS_PER_BOOKING = "jail_days_per_booking", "Jail days per booking"
        OFFICER_HOUR_COST = "officer_hour_cost", "Officer hour, fully loaded (USD)"
        AMBULANCE_TRANSPORT_COST = "ambulance_transport_cost", "Ambulance transport (USD)"
        BASELINE_ARREST_RATE = "baseline_arrest_rate", "Baseline arrest rate (0-1)"
        BASELINE_ED_RATE = "baseline_ed_rate", "Baseline emergency-department rate (0-1)"
        BASELINE_AMBULANCE_RATE = "baseline_ambulance_rate", "Baseline ambulance rate (0-1)"
        TEAM_FTE_YEARS = "team_fte_years", "Team member FTE-years in the period"

    program = models.ForeignKey(Program, on_delete=models.CASCADE, related_name="cost_inputs")
    key = models.CharField(max_length=32, choices=Key.choices)
    value = models.FloatField(null=True, blank=True)
    low = models.FloatField(null=True, blank=True)
    high = models.FloatField(null=True, blank=True)
    source = models.CharField(max_length=300, blank=True)
    updated_at = models.DateTimeField(auto_now=True)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["program", "key"]
        constraints = [
            models.UniqueConstraint(fields=["program", "key"], name="cost_assumption_unique"),
            models.CheckConstraint(
                condition=models.Q(value__isnull=True) | models.Q(value__gte=0),
                name="cost_assumption_not_negative",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_key_display()}: {self.value if self.value is not None else 'not set'}"


# Figures kept up to date as records change (outcomes/rollup.py). They are derived: deleting
# them loses nothing, and `corespond metrics --rebuild` writes them again from the records.


class DayFigures(models.Model):
    """The additive figures (``metrics.Partial``) of one program's calls received on one day
    (in the program's time zone), per agency and response type: the catalog for a period adds
    up its days instead of reading every record."""

    program = models.ForeignKey(Program, on_delete=models.CASCADE, related_name="+")
    day = models.DateField()
    agency_id = models.BigIntegerField(default=0)  # 0: calls with no agency
    response_type = models.CharField(max_length=32, blank=True)  # "": not triaged
    data = models.JSONField()

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["program", "day", "agency_id", "response_type"],
                name="day_figures_unique",
            )
        ]
        indexes = [models.Index(fields=["program", "day"], name="day_figures_program_day")]

    def __str__(self) -> str:
        return f"{self.program_id} {self.day} {self.agency_id} {self.response_type or '-'}"


class StaleDay(models.Model):
    """A day (UTC) of a program whose records changed since its figures were written. Database
    triggers on the tables the figures read write these (outcomes/rollup.py); ``version``
    grows with every change, so a refresh removes only the marks it has seen."""

    program_id = models.BigIntegerField()
    day = models.DateField()
    version = models.PositiveIntegerField(default=1)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["program_id", "day"], name="stale_day_unique")
        ]

    def __str__(self) -> str:
        return f"{self.program_id} {self.day} (v{self.version})"


class ProgramFigures(models.Model):
    """Which programs have their figures written, and in which time zone (a program whose
    zone changed has its days written again)."""

    program = models.OneToOneField(Program, on_delete=models.CASCADE, related_name="+")
    zone = models.CharField(max_length=64)
    written_at = models.DateTimeField()

    def __str__(self) -> str:
        return f"{self.program_id} in {self.zone}"


class CrisisContact(GatedModel):
    """One crisis contact (the person in crisis at an encounter) with what the people metrics
    need, kept beside the day figures: whether the person was engaged, and whether their
    previous or next crisis contact lies within 90 days. Person-level data: read through the
    gate, for counts only."""

    GATE_PROGRAM_PATH = "program"
    GATE_DERIVED = True  # rewritten by outcomes.rollup (core.access.maintaining)

    program = models.ForeignKey(Program, on_delete=models.CASCADE, related_name="+")
    person_id = models.BigIntegerField()
    encounter_id = models.BigIntegerField()
    agency_id = models.BigIntegerField(null=True)
    response_type = models.CharField(max_length=32, blank=True)
    received_at = models.DateTimeField()
    engaged = models.BooleanField()
    near_another = models.BooleanField(default=False)

    objects = GatedManager()

    class Meta:
        indexes = [
            models.Index(fields=["program", "received_at"], name="crisis_contact_program_at"),
            models.Index(fields=["person_id", "received_at"], name="crisis_contact_person_at"),
        ]

    def __str__(self) -> str:
        return f"crisis contact {self.pk}"
