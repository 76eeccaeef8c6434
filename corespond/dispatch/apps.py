from django.apps import AppConfig


class DispatchConfig(AppConfig):
    name = "corespond.dispatch"
    label = "dispatch"
