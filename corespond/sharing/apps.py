from django.apps import AppConfig


class SharingConfig(AppConfig):
    name = "corespond.sharing"
    label = "sharing"
    verbose_name = "Data sharing"
