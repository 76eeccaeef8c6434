"""Server-sent events for the live dispatch board.

Why server-sent events, not websockets: the board only listens (every action is an ordinary
POST), SSE is plain HTTP that passes proxies and reconnects by itself, and it needs no extra
server component. Each open board holds one stream; the stream checks a small "board version"
token every second and sends an event when it changes, so a change reaches every open board
within about a second and a half. Several app workers need no coordination: each stream reads
the shared database. (Redis pub/sub fan-out can replace the one-second check when boards
number in the hundreds.)

A stream ends after STREAM_SECONDS; the browser's EventSource reconnects at once, which also
re-checks the session.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Callable, Iterator

from asgiref.sync import sync_to_async

CHECK_SECONDS = 1.0
KEEPALIVE_SECONDS = 15.0
STREAM_SECONDS = 120.0
RETRY_MS = 1000


class _Ticks:
    """What to send after each check: an event when the version moved, a comment now and
    then so proxies keep the line open, otherwise nothing. Shared by both stream kinds."""

    def __init__(self, seconds: float) -> None:
        self.last: str | None = None
        self.quiet_since = time.monotonic()
        self.end = self.quiet_since + seconds

    def running(self) -> bool:
        return time.monotonic() < self.end

    def after(self, token: str) -> str | None:
        now = time.monotonic()
        if token != self.last:
            self.last, self.quiet_since = token, now
            return f"event: board\ndata: {token}\n\n"
        if now - self.quiet_since > KEEPALIVE_SECONDS:
            self.quiet_since = now
            return ": still here\n\n"
        return None


def stream_sync(version: Callable[[], str], *, seconds: float = STREAM_SECONDS) -> Iterator[str]:
    """For WSGI servers (and the test server): a blocking generator."""
    yield f"retry: {RETRY_MS}\n\n"
    ticks = _Ticks(seconds)
    while ticks.running():
        message = ticks.after(version())
        if message:
            yield message
        time.sleep(CHECK_SECONDS)


async def stream_async(
    version: Callable[[], str], *, seconds: float = STREAM_SECONDS
) -> AsyncIterator[str]:
    """For ASGI (uvicorn): the same stream without holding a worker thread while it waits."""
    check = sync_to_async(version)
    yield f"retry: {RETRY_MS}\n\n"
    ticks = _Ticks(seconds)
    while ticks.running():
        message = ticks.after(await check())
        if message:
            yield message
        await asyncio.sleep(CHECK_SECONDS)
