from django.apps import AppConfig


class ImportsConfig(AppConfig):
    name = "corespond.imports"
    label = "imports"
    verbose_name = "Imports of CAD and encounter exports"
