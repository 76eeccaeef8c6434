"""The ``corespond`` command: the project's own management commands, one line of help each.

``corespond <command> ...`` runs one of corespond's commands; ``corespond manage ...`` reaches
every Django command (migrate, createsuperuser, check, dbshell...).
"""

from __future__ import annotations

import os
import sys

USAGE = """usage: corespond <command> [options]

corespond's commands (run `corespond <command> --help` for the options of each):
{commands}
  manage         run any Django management command (`corespond manage help` lists them)

Settings come from the environment; see README.md (CORESPOND_DATA_DIR, DATABASE_URL, ...).
"""


def _own_commands() -> dict[str, str]:
    """corespond's management commands and the first line of each one's help."""
    import django
    from django.core.management import get_commands, load_command_class

    django.setup()
    own = {}
    for name, app in sorted(get_commands().items()):
        if isinstance(app, str) and app.startswith("corespond."):
            command = load_command_class(app, name)
            own[name] = (command.help or "").strip().splitlines()[0] if command.help else ""
    return own


def main(argv: list[str] | None = None) -> int:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "corespond.settings")
    args = list(sys.argv[1:] if argv is None else argv)
    from django.core.management import execute_from_command_line

    if args and args[0] == "manage":
        execute_from_command_line(["corespond manage", *args[1:]])
        return 0
    commands = _own_commands()
    if not args or args[0] in {"-h", "--help", "help"}:
        width = max(len(n) for n in commands) + 2
        lines = "\n".join(
            f"  {name.ljust(max(width, 15))}{text}" for name, text in commands.items()
        )
        print(USAGE.format(commands=lines))
        return 0
    if args[0] not in commands:
        print(f"corespond: unknown command {args[0]!r}. Run `corespond --help`.", file=sys.stderr)
        return 2
    execute_from_command_line(["corespond", *args])
    return 0


if __name__ == "__main__":
    sys.exit(main())
