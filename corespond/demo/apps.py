from django.apps import AppConfig


class DemoConfig(AppConfig):
    name = "corespond.demo"
    label = "demo"
