from django.contrib import admin

from corespond.core.admin import GatedAdmin
from corespond.field.models import Encounter


@admin.register(Encounter)
class EncounterAdmin(GatedAdmin):
    list_display = ["id", "call", "team", "contact_outcome", "disposition", "completed_at"]
    list_filter = ["contact_outcome", "disposition"]
    # Read-only: the call is reached through the encounter, which the gate already allowed.
    readonly_fields = ["call", "assignment", "team"]
