"""``corespond token issue|list|revoke``: API tokens for integrations."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import timezone

from corespond.api.models import ApiToken, Scope
from corespond.api.services import token_issue, token_revoke


class Command(BaseCommand):
    help = "Issue, list and revoke API tokens (bearer tokens with scopes) for integrations."

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        issue = sub.add_parser(
            "issue",
            help="Print a new token once (only its digest is kept).",
            description="Scopes: " + ", ".join(Scope.values),
        )
        issue.add_argument(
            "--user",
            required=True,
            help="The integration account: its roles, agencies and the sharing policy decide "
            "what the token reads",
        )
        issue.add_argument("--name", required=True, help="What uses it, e.g. 'Riverton CAD'")
        issue.add_argument(
            "--scope", action="append", required=True, help="Repeat for each scope", default=[]
        )
        issue.add_argument("--days", type=int, help="Expire after this many days")
        sub.add_parser("list", help="Every token: prefix, name, account, scopes, state.")
        revoke = sub.add_parser("revoke", help="Revoke a token by its prefix.")
        revoke.add_argument("prefix")

    def handle(self, *args: Any, **options: Any) -> None:
        if options["action"] == "issue":
            user = get_user_model().objects.filter(username=options["user"]).first()
            if user is None:
                raise CommandError(f"No user {options['user']!r}.")
            expires = timezone.now() + timedelta(days=options["days"]) if options["days"] else None
            try:
                token, raw = token_issue(
                    user=user, name=options["name"], scopes=options["scope"], expires_at=expires
                )
            except ValidationError as exc:
                raise CommandError("; ".join(exc.messages)) from exc
            self.stdout.write(f"Token for {token.name} (shown once; keep it secret):\n{raw}")
        elif options["action"] == "list":
            now = timezone.now()
            for t in ApiToken.objects.select_related("user"):
                state = "usable" if t.usable(now) else "revoked or expired"
                self.stdout.write(
                    f"{t.prefix}  {t.name}  {t.user.username}  {','.join(t.scopes)}  {state}"
                )
        else:
            try:
                token = token_revoke(prefix=options["prefix"])
            except ApiToken.DoesNotExist as exc:
                raise CommandError(f"No token with prefix {options['prefix']!r}.") from exc
            self.stdout.write(f"Revoked {token}.")
