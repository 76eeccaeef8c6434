from django.apps import AppConfig


class CoreConfig(AppConfig):
    name = "corespond.core"
    label = "core"
