"""Django admin for configuration: agencies, programs, users and their roles."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin
from django.http import HttpRequest

from corespond.core.access import Action, is_protected, restrict
from corespond.core.models import Agency, AuditEvent, Membership, Program, User
from corespond.core.vocab import Disposition


class GatedAdmin(admin.ModelAdmin):
    """Admin for a model with person-level data: every list and lookup goes through the gate."""

    def get_queryset(self, request: HttpRequest) -> Any:
        return restrict(super().get_queryset(request), request.user)

    def delete_queryset(self, request: HttpRequest, queryset: Any) -> None:
        restrict(queryset, request.user, action=Action.CHANGE).delete()

    def formfield_for_foreignkey(self, db_field: Any, request: HttpRequest, **kwargs: Any) -> Any:
        related = db_field.remote_field.model
        if is_protected(related):
            kwargs["queryset"] = restrict(related._default_manager.all(), request.user)
        return super().formfield_for_foreignkey(db_field, request, **kwargs)


class MembershipInline(admin.TabularInline):
    model = Membership
    extra = 1


@admin.register(User)
class UserAdmin(BaseUserAdmin):
    inlines = [MembershipInline]


@admin.register(Agency)
class AgencyAdmin(admin.ModelAdmin):
    list_display = ["name", "kind", "slug"]
    prepopulated_fields = {"slug": ["name"]}


class ProgramForm(forms.ModelForm):
    followup_dispositions = forms.MultipleChoiceField(
        choices=Disposition.choices,
        widget=forms.CheckboxSelectMultiple,
        required=False,
        help_text="After which dispositions an engaged person gets a follow-up.",
    )

    class Meta:
        model = Program
        fields = [
            "slug",
            "name",
            "model",
            "agencies",
            "timezone",
            "followup_window_hours",
            "followup_attempts",
            "followup_dispositions",
            "outreach_contacts",
            "outreach_days",
            "referral_closing_days",
            "police_minutes_per_call",
            "launch_date",
        ]


@admin.register(Program)
class ProgramAdmin(admin.ModelAdmin):
    form = ProgramForm
    list_display = ["name", "model", "timezone"]
    filter_horizontal = ["agencies"]


@admin.register(AuditEvent)
class AuditEventAdmin(admin.ModelAdmin):
    """Read-only: the audit trail is never edited by hand."""

    list_display = ["at", "user", "system_reason", "action", "model", "purpose", "remote_addr"]
    list_filter = ["action", "model"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False
