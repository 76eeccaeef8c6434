"""Per-request context: the program's time zone for display, the client address for audit,
and the server's own time spent on each request."""

from __future__ import annotations

import time
from collections.abc import Callable
from urllib.parse import urlencode

from django.conf import settings
from django.contrib.auth import logout
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.utils import timezone

from corespond.core.access import programs_for, reset_remote_addr, set_remote_addr, sql_guard
from corespond.sharing.policy import request_cache


class ProgramTimezoneMiddleware:
    """Show times in the user's program's zone (everything is stored in UTC); keep the
    client's address for the audit log and the sharing policy's lookups for the request."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        zone = settings.DEFAULT_PROGRAM_TIMEZONE
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated:
            program = programs_for(user).order_by("pk").first()
            if program is not None:
                zone = program.timezone
        timezone.activate(zone)
        # uvicorn replaces the peer address with X-Forwarded-For only for requests from the
        # proxies named by `serve --forwarded-allow-ips` (default 127.0.0.1), so this is the
        # client's address behind a local proxy. Any process on those hosts could set the
        # header: keep the app port closed to everything but the proxy (docs/deployment.md).
        addr = request.META.get("REMOTE_ADDR")
        token = set_remote_addr(addr)
        try:
            with request_cache(), sql_guard():
                return self.get_response(request)
        finally:
            reset_remote_addr(token)
            timezone.deactivate()


class ServerTimingMiddleware:
    """Report the time Django spent on the request (``Server-Timing: app;dur=<ms>``).

    Browser developer tools show it, and the latency benchmark reads it to separate the
    server's time from the network's and the load generator's. Streaming responses (the
    board's event stream) get no header: their time is the length of the stream.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        started = time.perf_counter()
        response = self.get_response(request)
        if not response.streaming:
            elapsed_ms = (time.perf_counter() - started) * 1000
            response["Server-Timing"] = f"app;dur={elapsed_ms:.2f}"
        return response


SEEN_KEY = "corespond_seen"
# Record activity at most this often: every request would otherwise write the session row.
SEEN_EVERY_SECONDS = 60


def is_background(request: HttpRequest) -> bool:
    """Requests the page makes by itself: the live board's event stream and refreshes."""
    return request.headers.get(
        "X-Corespond-Background"
    ) == "1" or "text/event-stream" in request.headers.get("Accept", "")


class IdleTimeoutMiddleware:
    """End a signed-in session after ``IDLE_TIMEOUT_MINUTES`` without user activity."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated:
            now = time.time()
            seen = request.session.get(SEEN_KEY)
            if seen is not None and now - seen > settings.IDLE_TIMEOUT_MINUTES * 60:
                logout(request)
                return self._signed_out(request)
            if not is_background(request) and (seen is None or now - seen > SEEN_EVERY_SECONDS):
                request.session[SEEN_KEY] = now
        return self.get_response(request)

    def _signed_out(self, request: HttpRequest) -> HttpResponse:
        login = f"{reverse('login')}?{urlencode({'next': request.get_full_path(), 'idle': 1})}"
        return send_elsewhere(
            request,
            login,
            "Signed out after a period without activity.",
            json=request.path == reverse("activity"),
        )


def send_elsewhere(
    request: HttpRequest, url: str, error: str, *, json: bool = False
) -> HttpResponse:
    """Send the user to ``url`` (sign-in, second factor) in the form the request can follow:
    htmx loads it as a whole page, background and JSON requests get a 401 with ``error``,
    pages a redirect."""
    if request.headers.get("HX-Request"):
        # htmx would swap the sign-in page into the board; make it load the whole page.
        response = HttpResponse(status=401)
        response["HX-Redirect"] = url
        return response
    if json or is_background(request) or request.content_type == "application/json":
        return JsonResponse({"error": error}, status=401)
    return redirect(url)


class MfaRequiredMiddleware:
    """Send a signed-in user who needs a second factor to set it up or enter it, before any
    other page (settings.MFA_REQUIRED; corespond.core.mfa.needs_mfa)."""

    OPEN_PREFIXES = ("/account/mfa/", "/logout/", "/static/", "/healthz")

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        from corespond.core import mfa

        user = getattr(request, "user", None)
        if (
            user is not None
            and not request.path.startswith(self.OPEN_PREFIXES)
            and mfa.needs_mfa(user)
            and not user.is_verified()
        ):
            target = "mfa_verify" if mfa.confirmed_device(user) else "mfa_setup"
            url = f"{reverse(target)}?{urlencode({'next': request.get_full_path()})}"
            return send_elsewhere(request, url, "A second factor is required.")
        return self.get_response(request)
