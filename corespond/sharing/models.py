"""Written data-sharing agreements as rules, Part 2 consents, and break-the-glass grants.

The access gate (core.access) asks ``sharing.policy`` about every read; these are its facts.
"""

from __future__ import annotations

from datetime import datetime

from django.conf import settings
from django.db import models
from django.db.models import Q

from corespond.core.models import Agency, Program
from corespond.core.vocab import DataCategory, Role


class Agreement(models.Model):
    """A signed data-sharing agreement between agencies of a program, in force for a period."""

    program = models.ForeignKey(Program, on_delete=models.CASCADE, related_name="agreements")
    name = models.CharField(max_length=200)
    parties = models.ManyToManyField(Agency, related_name="agreements")
    effective_from = models.DateTimeField()
    effective_to = models.DateTimeField(null=True, blank=True, help_text="Empty: open-ended.")
    document = models.CharField(
        max_length=300, blank=True, help_text="Where the signed text is kept (reference or URL)."
    )

    class Meta:
        ordering = ["program", "-effective_from"]

    def __str__(self) -> str:
        return self.name

    @staticmethod
    def in_force(at: datetime) -> Q:
        return Q(effective_from__lte=at) & (Q(effective_to__isnull=True) | Q(effective_to__gt=at))


class AgreementRule(models.Model):
    """Under an agreement, holders of ``role`` at ``party`` may read (or also write) the
    ``category`` data that the other parties recorded, for ``purpose``."""

    class Access(models.TextChoices):
        READ = "read", "Read"
        WRITE = "write", "Read and write"

    agreement = models.ForeignKey(Agreement, on_delete=models.CASCADE, related_name="rules")
    party = models.ForeignKey(Agency, on_delete=models.CASCADE, related_name="+")
    role = models.CharField(max_length=32, choices=Role.choices)
    category = models.CharField(max_length=32, choices=DataCategory.choices)
    access = models.CharField(max_length=8, choices=Access.choices, default=Access.READ)
    purpose = models.CharField(max_length=64, default="operations")

    class Meta:
        ordering = ["agreement", "party", "role", "category"]
        constraints = [
            models.UniqueConstraint(
                fields=["agreement", "party", "role", "category"], name="agreement_rule_unique"
            )
        ]

    def __str__(self) -> str:
        return f"{self.party} {self.role}: {self.category} ({self.access})"


class Consent(models.Model):
    """A person's written consent to disclose one category of their records to a recipient
    (42 CFR Part 2 needs one naming the recipient for substance-use treatment records)."""

    person = models.ForeignKey("people.Person", on_delete=models.PROTECT, related_name="consents")
    category = models.CharField(
        max_length=32, choices=DataCategory.choices, default=DataCategory.SUD_PART2
    )
    recipient = models.ForeignKey(Agency, on_delete=models.PROTECT, related_name="+")
    purpose = models.CharField(max_length=200)
    given_at = models.DateTimeField()
    expires_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["-given_at"]

    def __str__(self) -> str:
        return f"consent {self.category} to {self.recipient} (person {self.person_id})"

    @staticmethod
    def in_force(at: datetime) -> Q:
        return (
            Q(given_at__lte=at)
            & (Q(expires_at__isnull=True) | Q(expires_at__gt=at))
            & (Q(revoked_at__isnull=True) | Q(revoked_at__gt=at))
        )


class BreakGlassGrant(models.Model):
    """Emergency access to one person's records for a short time, with a stated reason;
    every use is listed for supervisor review."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="break_glass_grants"
    )
    person = models.ForeignKey("people.Person", on_delete=models.PROTECT, related_name="+")
    # The person's program, kept on the grant so the review queue never reads the person.
    program = models.ForeignKey(Program, on_delete=models.PROTECT, related_name="+")
    reason = models.CharField(max_length=300)
    granted_at = models.DateTimeField()
    expires_at = models.DateTimeField()
    reviewed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    reviewed_at = models.DateTimeField(null=True, blank=True)
    review_note = models.CharField(max_length=300, blank=True)

    class Meta:
        ordering = ["-granted_at"]

    def __str__(self) -> str:
        return f"break-the-glass by {self.user} for person {self.person_id}"
