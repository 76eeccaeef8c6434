"""Tenancy (agencies, programs, memberships), users, and the audit log."""

from __future__ import annotations

import zoneinfo

from django.contrib.auth.models import AbstractUser
from django.core.exceptions import ValidationError
from django.db import models

from corespond.core.vocab import (
    AgencyKind,
    Disposition,
    ProgramModel,
    Role,
)


def validate_timezone(value: str) -> None:
    try:
        zoneinfo.ZoneInfo(value)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError) as exc:
        raise ValidationError(f"{value!r} is not an IANA time zone") from exc


class User(AbstractUser):
    """A person who signs in. What they may do comes from their memberships, not from here."""

    class Meta:
        ordering = ["username"]

    def __str__(self) -> str:
        return self.get_full_name() or self.username


class Agency(models.Model):
    """An organisation that takes part in one or more programs: police, provider, EMS, 988."""

    slug = models.SlugField(unique=True)
    name = models.CharField(max_length=200)
    kind = models.CharField(max_length=32, choices=AgencyKind.choices)

    class Meta:
        ordering = ["name"]
        verbose_name_plural = "agencies"

    def __str__(self) -> str:
        return self.name


def default_followup_dispositions() -> list[str]:
    """Follow up after the person stayed in the community or went to a crisis facility,
    sobering/detox or an emergency department; arrest and citation are left to the justice
    system's own follow-up unless a program adds them."""
    return [
        Disposition.REMAINED_IN_COMMUNITY,
        Disposition.CRISIS_FACILITY,
        Disposition.SOBERING_DETOX,
        Disposition.EMERGENCY_DEPARTMENT,
    ]


class Program(models.Model):
    """A co-responder program spanning agencies; owns calls, teams and its protocol settings."""

    slug = models.SlugField(unique=True)
    name = models.CharField(max_length=200)
    model = models.CharField(max_length=16, choices=ProgramModel.choices)
    agencies = models.ManyToManyField(Agency, related_name="programs")
    # Validated in clean(), not by a field validator, so migrations never import app code.
    timezone = models.CharField(max_length=64, default="America/Los_Angeles")
    # Who goes to which call, and the service hours, are the program's dispatch protocol
    # (intake.ProtocolVersion), not fields here.
    followup_window_hours = models.PositiveIntegerField(default=72)
    followup_attempts = models.PositiveSmallIntegerField(default=3)
    # Dispositions after which an engaged person hears from the program again (codes).
    followup_dispositions = models.JSONField(default=default_followup_dispositions)
    # Proactive outreach: people with at least this many crisis contacts within this many days.
    outreach_contacts = models.PositiveSmallIntegerField(default=3)
    outreach_days = models.PositiveSmallIntegerField(default=90)
    referral_closing_days = models.PositiveIntegerField(default=30)
    # When the program began answering calls: the break in the before/after analysis.
    launch_date = models.DateField(null=True, blank=True)
    # Police time assumed per call a team answers without police, for police.officer_hours_*.
    police_minutes_per_call = models.PositiveIntegerField(default=60)
    # Courses every team member must hold current (codes of dispatch.Training.course, e.g.
    # "cit-40h", "cssrs"), for staff.training_current_rate. Empty: the metric says so.
    required_training = models.JSONField(default=list, blank=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name

    @property
    def tzinfo(self) -> zoneinfo.ZoneInfo:
        return zoneinfo.ZoneInfo(self.timezone)

    def clean(self) -> None:
        validate_timezone(self.timezone)
        codes = self.followup_dispositions
        if not isinstance(codes, list) or not set(codes) <= set(Disposition.values):
            raise ValidationError(
                {"followup_dispositions": "A list of disposition codes (spec/vocabularies.md)."}
            )


class Membership(models.Model):
    """A user's role in an agency. A user may hold several roles, in several agencies."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="memberships")
    agency = models.ForeignKey(Agency, on_delete=models.CASCADE, related_name="memberships")
    role = models.CharField(max_length=32, choices=Role.choices)

    class Meta:
        ordering = ["agency__name", "role"]
        constraints = [
            models.UniqueConstraint(fields=["user", "agency", "role"], name="membership_unique")
        ]

    def __str__(self) -> str:
        return f"{self.user} - {self.get_role_display()} at {self.agency}"


class AuditEvent(models.Model):
    """One read or write of person-level data: who, what, when, from where, why.

    Written only through ``corespond.core.audit.append`` (the access gate and services call
    it). Append-only and hash-chained: each entry's ``hash`` covers its contents and the
    previous entry's hash, in ``seq`` order, so a changed or removed entry breaks the chain
    (`corespond audit verify`). On PostgreSQL a trigger also refuses UPDATE and DELETE.
    """

    class Action(models.TextChoices):
        VIEW = "view", "View"
        CREATE = "create", "Create"
        CHANGE = "change", "Change"
        AGGREGATE = "aggregate", "Aggregate"

    seq = models.PositiveBigIntegerField(unique=True)
    at = models.DateTimeField(db_index=True)
    user = models.ForeignKey(User, null=True, blank=True, on_delete=models.PROTECT)
    system_reason = models.CharField(max_length=200, blank=True)
    action = models.CharField(max_length=16, choices=Action.choices)
    model = models.CharField(max_length=64)
    object_ids = models.JSONField(default=list)
    purpose = models.CharField(max_length=64, default="operations")
    remote_addr = models.GenericIPAddressField(null=True, blank=True)
    prev_hash = models.CharField(max_length=64)
    hash = models.CharField(max_length=64)

    class Meta:
        ordering = ["-seq"]

    def __str__(self) -> str:
        who = self.user or f"system ({self.system_reason})"
        return f"#{self.seq} {self.at:%Y-%m-%d %H:%M} {who} {self.action} {self.model}"


class AuditHead(models.Model):
    """The end of the audit chain: one row, locked by each append so entries chain in order."""

    seq = models.PositiveBigIntegerField(default=0)
    hash = models.CharField(max_length=64)

    def __str__(self) -> str:
        return f"audit head #{self.seq} {self.hash[:12]}"
