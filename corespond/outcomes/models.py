"""The cost-offset model's assumptions: every figure editable per program, with its source and
a low/high range (outcomes/costs.py computes the offsets from them)."""

from __future__ import annotations

from django.conf import settings
from django.db import models

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
