from django.contrib import admin

from corespond.core.admin import GatedAdmin
from corespond.people.models import Person


@admin.register(Person)
class PersonAdmin(GatedAdmin):
    list_display = ["family_name", "given_name", "birth_date", "program"]
    search_fields = ["family_name", "given_name"]
