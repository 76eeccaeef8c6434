"""Bearer tokens, scopes and the rate limit of the API."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.conf import settings
from django.http import HttpRequest
from django.utils import timezone
from ninja.errors import HttpError, Throttled
from ninja.security import HttpBearer
from ninja.throttling import AnonRateThrottle, AuthRateThrottle

from corespond.api.models import ApiToken
from corespond.api.services import digest_of

# last_used_at is for people reviewing tokens; writing it on every request would cost a
# write per read.
LAST_USED_GRAIN = timedelta(minutes=5)


class ScopeMissing(HttpError):
    def __init__(self, scope: str) -> None:
        super().__init__(403, f"This token lacks the scope {str(scope)!r}.")
        self.scope = scope


class TokenAuth(HttpBearer):
    """``Authorization: Bearer <token>``. The request then acts as the token's integration
    account: the access gate and the audit log see that user."""

    def authenticate(self, request: HttpRequest, token: str) -> ApiToken | None:
        found = ApiToken.objects.select_related("user").filter(digest=digest_of(token)).first()
        now = timezone.now()
        if found is None or not found.usable(now):
            # Authentication runs before the throttles, so failed tokens are counted here,
            # per address: guessing tokens is slowed to the anonymous rate.
            guard = AnonymousRateThrottle()
            if not guard.allow_request(request):
                raise Throttled(int(guard.wait() or 60))
            return None
        if found.last_used_at is None or now - found.last_used_at > LAST_USED_GRAIN:
            ApiToken.objects.filter(pk=found.pk).update(last_used_at=now)
        request.user = found.user
        return found


def need(request: HttpRequest, scope: str) -> Any:
    """The token's user, if the token holds ``scope``."""
    token: ApiToken = request.auth  # type: ignore[attr-defined]
    if scope not in token.scopes:
        raise ScopeMissing(scope)
    return token.user


class _FromSettings:
    """Reads the rate from settings on every request, so that it can change without a
    restart of the API object (and tests can lower it)."""

    rate_setting = "API_RATE_LIMIT"

    def allow_request(self, request: HttpRequest) -> bool:
        rate = getattr(settings, self.rate_setting)
        self.rate = rate
        self.num_requests, self.duration = self.parse_rate(rate)  # type: ignore[attr-defined]
        return super().allow_request(request)  # type: ignore[misc]


class TokenRateThrottle(_FromSettings, AuthRateThrottle):
    """Requests per token (per process unless the cache is shared, e.g. Redis)."""


class AnonymousRateThrottle(_FromSettings, AnonRateThrottle):
    """Requests per address that carry no valid token: slows token guessing."""

    rate_setting = "API_ANON_RATE_LIMIT"
