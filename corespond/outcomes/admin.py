from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from corespond.outcomes.models import CostAssumption


@admin.register(CostAssumption)
class CostAssumptionAdmin(admin.ModelAdmin):
    """The cost model's inputs, edited in place: each with its source and range."""

    list_display = ["program", "key", "value", "low", "high", "source", "updated_at"]
    list_editable = ["value", "low", "high", "source"]
    list_filter = ["program"]
    ordering = ["program", "key"]

    def save_model(self, request: HttpRequest, obj: Any, form: Any, change: bool) -> None:
        obj.updated_by = request.user
        super().save_model(request, obj, form, change)
