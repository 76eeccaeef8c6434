from django.apps import AppConfig


class IntakeConfig(AppConfig):
    name = "corespond.intake"
    label = "intake"
