"""API tokens: one per integration (a CAD, a 988 centre, a clinic's system), held by an
integration account whose memberships and the sharing policy decide what it may read, and
narrowed further by scopes."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone


class Scope(models.TextChoices):
    CALLS_READ = "calls:read", "Read calls"
    CALLS_WRITE = "calls:write", "Create calls"
    TRIAGE = "triage", "Triage call facts (dry run)"
    TEAMS_READ = "teams:read", "Read teams and their status"
    ENCOUNTERS_READ = "encounters:read", "Read encounters"
    PEOPLE_READ = "people:read", "Search people"
    FOLLOWUPS_READ = "followups:read", "Read follow-ups"
    REFERRALS_READ = "referrals:read", "Read referrals"
    REFERRALS_WRITE = "referrals:write", "Change referral status"
    RESOURCES_READ = "resources:read", "Search the resource directory"
    METRICS_READ = "metrics:read", "Read the metric catalog"
    EIDO_READ = "eido:read", "Read incidents as NENA EIDO"
    EIDO_WRITE = "eido:write", "Send incidents as NENA EIDO"
    FHIR_READ = "fhir:read", "Read FHIR resources"
    FHIR_WRITE = "fhir:write", "Send FHIR Task updates"


class ApiToken(models.Model):
    """A bearer token. Only its SHA-256 digest is stored: the token itself is shown once,
    when it is issued."""

    name = models.CharField(max_length=100, help_text="What uses it, e.g. 'Riverton CAD'.")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="api_tokens"
    )
    prefix = models.CharField(max_length=12, unique=True, editable=False)
    digest = models.CharField(max_length=64, unique=True, editable=False)
    scopes = models.JSONField(default=list)
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        editable=False,
    )
    expires_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)
    last_used_at = models.DateTimeField(null=True, blank=True, editable=False)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.name} ({self.prefix}…)"

    def usable(self, now: object | None = None) -> bool:
        moment = now or timezone.now()
        return (
            self.revoked_at is None
            and (self.expires_at is None or self.expires_at > moment)  # type: ignore[operator]
            and self.user.is_active
        )
