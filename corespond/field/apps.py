from django.apps import AppConfig


class FieldConfig(AppConfig):
    name = "corespond.field"
    label = "field"
