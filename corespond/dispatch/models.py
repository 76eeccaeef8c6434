"""Teams, their members and shifts, live status, and assignments of teams to calls."""

from __future__ import annotations

from django.conf import settings
from django.db import models

from corespond.core.access import GatedManager, GatedModel
from corespond.core.models import Agency, Program
from corespond.core.vocab import ResponseType, Role, UnitStatus
from corespond.intake.models import Call


class Team(models.Model):
    """A unit that answers calls, with a make-up (response type) and a live status."""

    program = models.ForeignKey(Program, on_delete=models.PROTECT, related_name="teams")
    agency = models.ForeignKey(Agency, on_delete=models.PROTECT, related_name="teams")
    name = models.CharField(max_length=100)
    call_sign = models.CharField(max_length=32)
    response_type = models.CharField(max_length=32, choices=ResponseType.choices)
    status = models.CharField(
        max_length=16, choices=UnitStatus.choices, default=UnitStatus.OFF_SHIFT
    )
    status_changed_at = models.DateTimeField(null=True, blank=True)
    last_latitude = models.FloatField(null=True, blank=True)
    last_longitude = models.FloatField(null=True, blank=True)
    position_at = models.DateTimeField(
        null=True, blank=True, help_text="When the last-known position was reported."
    )

    class Meta:
        ordering = ["call_sign"]
        constraints = [
            models.UniqueConstraint(fields=["program", "call_sign"], name="team_call_sign_unique")
        ]

    def __str__(self) -> str:
        return f"{self.call_sign} ({self.name})"


class TeamMember(models.Model):
    """A user's seat on a team, with the role they fill there."""

    team = models.ForeignKey(Team, on_delete=models.CASCADE, related_name="members")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="seats"
    )
    role = models.CharField(max_length=32, choices=Role.choices)

    class Meta:
        ordering = ["team", "role"]
        constraints = [models.UniqueConstraint(fields=["team", "user"], name="team_member_unique")]

    def __str__(self) -> str:
        return f"{self.user} ({self.role}) on {self.team.call_sign}"


class Shift(models.Model):
    """A time the team is on duty. Coverage planning reads these."""

    team = models.ForeignKey(Team, on_delete=models.CASCADE, related_name="shifts")
    starts_at = models.DateTimeField()
    ends_at = models.DateTimeField()

    class Meta:
        ordering = ["starts_at"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(ends_at__gt=models.F("starts_at")), name="shift_ends_after_start"
            )
        ]

    def __str__(self) -> str:
        return f"{self.team.call_sign} {self.starts_at:%Y-%m-%d %H:%M}-{self.ends_at:%H:%M}"


class Assignment(GatedModel):
    """A team sent to a call. At most one open assignment per team (enforced in the database).

    Gated like its call: an assignment leads to the call and the encounter.
    """

    GATE_PROGRAM_PATH = "call__program"
    # For the sharing policy (sharing/policy.py): category, recording agency, person.
    GATE_CATEGORY = "incident"
    GATE_OWNER_PATH = "call__agency"
    GATE_PERSON_PATH = "call__encounters__people"

    call = models.ForeignKey(Call, on_delete=models.PROTECT, related_name="assignments")
    team = models.ForeignKey(Team, on_delete=models.PROTECT, related_name="assignments")
    assigned_at = models.DateTimeField()
    assigned_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    cleared_at = models.DateTimeField(null=True, blank=True)
    override_reason = models.CharField(max_length=200, blank=True)

    objects = GatedManager()

    class Meta:
        ordering = ["-assigned_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["team"],
                condition=models.Q(cleared_at__isnull=True),
                name="one_open_assignment_per_team",
            )
        ]

    def __str__(self) -> str:
        return f"{self.team.call_sign} -> {self.call_id}"


class Training(models.Model):
    """A course a staff member completed (crisis intervention, the C-SSRS, de-escalation...),
    and until when it counts. Programs name the courses they require
    (``Program.required_training``)."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="trainings"
    )
    course = models.SlugField(max_length=64, help_text="A short code, e.g. cit-40h or cssrs.")
    completed_on = models.DateField()
    expires_on = models.DateField(
        null=True, blank=True, help_text="The last day it counts. Empty: does not expire."
    )
    note = models.CharField(max_length=200, blank=True)

    class Meta:
        ordering = ["user", "course", "-completed_on"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(expires_on__isnull=True)
                | models.Q(expires_on__gt=models.F("completed_on")),
                name="training_expires_after_completion",
            )
        ]

    def __str__(self) -> str:
        return f"{self.course} ({self.completed_on})"
