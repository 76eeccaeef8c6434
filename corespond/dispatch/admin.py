from django.contrib import admin

from corespond.dispatch.models import Shift, Team, TeamMember, Training


class TeamMemberInline(admin.TabularInline):
    model = TeamMember
    extra = 1


class ShiftInline(admin.TabularInline):
    model = Shift
    extra = 0


@admin.register(Team)
class TeamAdmin(admin.ModelAdmin):
    list_display = ["call_sign", "name", "program", "response_type", "status"]
    list_filter = ["program", "response_type", "status"]
    inlines = [TeamMemberInline, ShiftInline]


@admin.register(Training)
class TrainingAdmin(admin.ModelAdmin):
    """Staff training records, for staff.training_current_rate (required courses are set on
    the program)."""

    list_display = ["user", "course", "completed_on", "expires_on"]
    list_filter = ["course"]
    search_fields = ["user__username", "user__first_name", "user__last_name", "course"]
    date_hierarchy = "completed_on"
