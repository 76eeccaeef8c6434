from django.contrib import admin

from corespond.core.admin import GatedAdmin
from corespond.intake.models import Call


@admin.register(Call)
class CallAdmin(GatedAdmin):
    list_display = ["reference", "received_at", "call_type", "behavioral_health", "status"]
    list_filter = ["status", "call_type", "program"]
    search_fields = ["reference"]
