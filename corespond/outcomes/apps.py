from typing import Any

from django.apps import AppConfig


def _install_triggers(sender: Any, using: str = "default", **kwargs: Any) -> None:
    from corespond.outcomes.rollup import install_triggers

    install_triggers(using)


class OutcomesConfig(AppConfig):
    name = "corespond.outcomes"
    label = "outcomes"

    def ready(self) -> None:
        from django.db.models.signals import post_migrate

        # After every migrate: the triggers that keep the day figures current
        # (outcomes/rollup.py). SQLite drops a table's triggers when a migration rebuilds it.
        post_migrate.connect(_install_triggers, sender=self, dispatch_uid="outcomes-triggers")
