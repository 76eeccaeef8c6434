from django.apps import AppConfig


class OutcomesConfig(AppConfig):
    name = "corespond.outcomes"
    label = "outcomes"
