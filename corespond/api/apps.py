from django.apps import AppConfig


class ApiConfig(AppConfig):
    name = "corespond.api"
    label = "api"
    verbose_name = "REST API and its tokens"
