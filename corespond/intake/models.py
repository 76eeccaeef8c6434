"""Calls for service and the triage decision made on each."""

from __future__ import annotations

from django.conf import settings
from django.db import models

from corespond.core.access import GatedManager, GatedModel
from corespond.core.models import Agency, Program
from corespond.core.vocab import CallSource, CallType, ResponseType, UnservedReason


class Call(GatedModel):
    """A request for help: a 911 or 988 call, a police request from the scene, a walk-in."""

    GATE_PROGRAM_PATH = "program"
    # For the sharing policy (sharing/policy.py): category, recording agency, person.
    GATE_CATEGORY = "incident"
    GATE_OWNER_PATH = "agency"
    GATE_PERSON_PATH = "encounters__people"
    # Categories that aggregate-only access may count by (see core.access).
    GATE_GROUPABLE = frozenset(
        {"status", "unserved_reason", "call_type", "source", "behavioral_health", "zone"}
    )

    class Status(models.TextChoices):
        WAITING = "waiting", "Waiting for a team"
        ASSIGNED = "assigned", "Team assigned"
        CLOSED = "closed", "Closed"

    # No index of its own: the (program, status, received_at) index below starts with it,
    # and every index is paid for on each of an import's million rows.
    program = models.ForeignKey(
        Program, on_delete=models.PROTECT, related_name="calls", db_index=False
    )
    agency = models.ForeignKey(Agency, on_delete=models.PROTECT, related_name="calls")
    reference = models.CharField(max_length=32, unique=True)
    received_at = models.DateTimeField(db_index=True)
    source = models.CharField(
        max_length=16, choices=CallSource.choices, default=CallSource.PHONE_911
    )
    call_type = models.CharField(max_length=16, choices=CallType.choices)
    # The call type as the source CAD wrote it (e.g. "PERSON IN BEHAVIORAL/EMOTIONAL CRISIS").
    source_call_type = models.CharField(max_length=120, blank=True)
    # Kept apart from call_type: CAD call types under-count behavioural-health calls.
    behavioral_health = models.BooleanField(default=False)
    weapons = models.BooleanField(default=False)
    violence_in_progress = models.BooleanField(default=False)
    medical_emergency = models.BooleanField(default=False)
    address = models.CharField(max_length=200)
    zone = models.CharField(max_length=64, blank=True)
    latitude = models.FloatField(null=True, blank=True)
    longitude = models.FloatField(null=True, blank=True)
    description = models.TextField(blank=True)
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.WAITING)
    unserved_reason = models.CharField(max_length=16, choices=UnservedReason.choices, blank=True)
    closed_at = models.DateTimeField(null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    external_id = models.CharField(max_length=64, blank=True)

    objects = GatedManager()

    class Meta:
        ordering = ["-received_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["program", "external_id"],
                condition=~models.Q(external_id=""),
                name="call_external_id_unique",
            )
        ]
        indexes = [models.Index(fields=["program", "status", "received_at"])]

    def __str__(self) -> str:
        return self.reference


class TriageDecision(GatedModel):
    """Who should go to a call, by which rule, and why, as the protocol decided it.

    Gated like its call: ``select_related("call")`` from here would otherwise reach the call.
    """

    GATE_PROGRAM_PATH = "call__program"
    # For the sharing policy (sharing/policy.py): category, recording agency, person.
    GATE_CATEGORY = "incident"
    GATE_OWNER_PATH = "call__agency"
    GATE_PERSON_PATH = "call__encounters__people"

    call = models.OneToOneField(Call, on_delete=models.CASCADE, related_name="triage")
    response_type = models.CharField(max_length=32, choices=ResponseType.choices)
    priority = models.PositiveSmallIntegerField()
    eligible = models.BooleanField()
    outside_service_hours = models.BooleanField(default=False)
    rule = models.CharField(max_length=64)
    explanation = models.CharField(max_length=300)
    protocol_version = models.CharField(max_length=64)
    decided_at = models.DateTimeField(auto_now_add=True)

    objects = GatedManager()

    def __str__(self) -> str:
        return f"{self.call}: {self.response_type} ({self.rule})"


class ProtocolVersion(models.Model):
    """One version of a program's dispatch protocol, as the TOML text it was written in.

    A new version is a draft until activated; activation runs the protocol's own examples
    and is refused while any fails (intake.services.protocol_activate). Exactly one version
    per program is active at a time; every triage decision records the version it used.
    """

    class Status(models.TextChoices):
        DRAFT = "draft", "Draft"
        ACTIVE = "active", "Active"
        RETIRED = "retired", "Retired"

    program = models.ForeignKey(Program, on_delete=models.CASCADE, related_name="protocols")
    slug = models.SlugField()
    version = models.CharField(max_length=32)
    source = models.TextField(help_text="The protocol in TOML (docs/protocols.md).")
    status = models.CharField(max_length=8, choices=Status.choices, default=Status.DRAFT)
    created_at = models.DateTimeField(auto_now_add=True)
    activated_at = models.DateTimeField(null=True, blank=True)
    activated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["program", "-created_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["program", "slug", "version"], name="protocol_version_unique"
            ),
            models.UniqueConstraint(
                fields=["program"],
                condition=models.Q(status="active"),
                name="one_active_protocol_per_program",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.slug}@{self.version} ({self.status})"

    @property
    def label(self) -> str:
        return f"{self.slug}@{self.version}"
