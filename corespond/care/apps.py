from django.apps import AppConfig


class CareConfig(AppConfig):
    name = "corespond.care"
    label = "care"
