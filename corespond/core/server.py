"""uvicorn's HTTP protocol with Nagle's algorithm turned off on every connection.

With ``--workers`` above 1, uvicorn opens the listening socket itself and hands it to the
workers; asyncio then skips TCP_NODELAY on accepted connections (it sets it only on sockets
created with an explicit TCP protocol number). Django's ASGI handler writes the response
head and body separately, so on a kept-alive connection the body waited for the client's
delayed ACK: about 40 ms added to every response (measured by benchmarks/triage_latency.py).
"""

from __future__ import annotations

import asyncio
import socket

from uvicorn.protocols.http.h11_impl import H11Protocol


def set_nodelay(transport: asyncio.BaseTransport) -> None:
    sock = transport.get_extra_info("socket")
    if sock is not None and sock.family in (socket.AF_INET, socket.AF_INET6):
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)


class NoDelayH11Protocol(H11Protocol):
    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        set_nodelay(transport)
        super().connection_made(transport)
