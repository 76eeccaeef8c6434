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


def _event(token: str) -> str:
    return f"event: board\ndata: {token}\n\n"


def stream_sync(version: Callable[[], str], *, seconds: float = STREAM_SECONDS) -> Iterator[str]:
    """For WSGI servers (and the test server): a blocking generator."""
    yield f"retry: {RETRY_MS}\n\n"
    last, quiet_since, end = None, time.monotonic(), time.monotonic() + seconds
    while time.monotonic() < end:
        token = version()
        if token != last:
            yield _event(token)
            last, quiet_since = token, time.monotonic()
        elif time.monotonic() - quiet_since > KEEPALIVE_SECONDS:
            yield ": still here\n\n"
            quiet_since = time.monotonic()
        time.sleep(CHECK_SECONDS)


async def stream_async(
    version: Callable[[], str], *, seconds: float = STREAM_SECONDS
) -> AsyncIterator[str]:
    """For ASGI (uvicorn): the same stream without holding a worker thread while it waits."""
    check = sync_to_async(version)
    yield f"retry: {RETRY_MS}\n\n"
    last, quiet_since, end = None, time.monotonic(), time.monotonic() + seconds
    while time.monotonic() < end:
        token = await check()
        if token != last:
            yield _event(token)
            last, quiet_since = token, time.monotonic()
        elif time.monotonic() - quiet_since > KEEPALIVE_SECONDS:
            yield ": still here\n\n"
            quiet_since = time.monotonic()
        await asyncio.sleep(CHECK_SECONDS)
