from typing import Any

from django.apps import AppConfig


def _install_sql_guard(sender: Any, connection: Any, **kwargs: Any) -> None:
    from corespond.core.access import guard_sql

    if guard_sql not in connection.execute_wrappers:
        connection.execute_wrappers.append(guard_sql)


class CoreConfig(AppConfig):
    name = "corespond.core"
    label = "core"

    def ready(self) -> None:
        from django.db import connections
        from django.db.backends.signals import connection_created

        # Every database connection carries the SQL guard (core.access.sql_guard); it acts
        # only where a web request (or a test) has turned it on.
        connection_created.connect(_install_sql_guard, dispatch_uid="corespond-sql-guard")
        for connection in connections.all(initialized_only=True):
            _install_sql_guard(None, connection)
