from django.contrib import admin

from corespond.dispatch.models import Shift, Team, TeamMember


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
