from django.apps import AppConfig


class PeopleConfig(AppConfig):
    name = "corespond.people"
    label = "people"
