from django.contrib import admin

from corespond.dispatch.models import Shift, Team, TeamMember


class TeamMemberInline(admin.TabularInline):  # type: ignore[type-arg]
    model = TeamMember
    extra = 1


class ShiftInline(admin.TabularInline):  # type: ignore[type-arg]
    model = Shift
    extra = 0


@admin.register(Team)
class TeamAdmin(admin.ModelAdmin):  # type: ignore[type-arg]
    list_display = ["call_sign", "name", "program", "response_type", "status"]
    list_filter = ["program", "response_type", "status"]
    inlines = [TeamMemberInline, ShiftInline]
