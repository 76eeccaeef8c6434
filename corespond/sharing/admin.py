from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from corespond.sharing.models import Agreement, AgreementRule, BreakGlassGrant, Consent


class AgreementRuleInline(admin.TabularInline):
    model = AgreementRule
    extra = 0


@admin.register(Agreement)
class AgreementAdmin(admin.ModelAdmin):
    """Agreements are entered from the signed text: parties, period, and one rule per party,
    role and data category. The access gate reads them on every query."""

    list_display = ["name", "program", "effective_from", "effective_to"]
    list_filter = ["program"]
    filter_horizontal = ["parties"]
    inlines = [AgreementRuleInline]


@admin.register(Consent)
class ConsentAdmin(admin.ModelAdmin):
    list_display = ["person_id", "category", "recipient", "given_at", "expires_at", "revoked_at"]
    list_filter = ["category", "recipient"]
    raw_id_fields = ["person"]


@admin.register(BreakGlassGrant)
class BreakGlassGrantAdmin(admin.ModelAdmin):
    """Read-only record of emergency access; review happens in the review queue."""

    list_display = ["user", "person_id", "granted_at", "expires_at", "reviewed_by", "reviewed_at"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False
