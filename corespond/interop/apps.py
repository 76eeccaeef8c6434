from django.apps import AppConfig


class InteropConfig(AppConfig):
    name = "corespond.interop"
    label = "interop"
    verbose_name = "Exchange with CAD (NENA EIDO) and health partners (FHIR R4)"
