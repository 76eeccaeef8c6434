from django.contrib import admin

from corespond.care.models import Resource


@admin.register(Resource)
class ResourceAdmin(admin.ModelAdmin):
    list_display = ["name", "organization", "category", "open_beds", "verified_at"]
    list_filter = ["program", "category"]
    search_fields = ["name", "organization"]
