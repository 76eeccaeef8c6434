"""The served app turns Nagle's algorithm off even on sockets shared by several workers."""

from __future__ import annotations

import asyncio
import socket
from concurrent.futures import ThreadPoolExecutor

from corespond.core.server import set_nodelay


def test_connections_accepted_on_a_shared_socket_get_tcp_nodelay() -> None:
    async def scenario() -> tuple[int, int]:
        # Like uvicorn with --workers: a socket made without an explicit protocol number, on
        # which asyncio does not set TCP_NODELAY by itself.
        listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        listener.bind(("127.0.0.1", 0))
        listener.listen()
        seen: dict[str, int] = {}
        accepted = asyncio.Event()

        class Probe(asyncio.Protocol):
            def connection_made(self, transport: asyncio.BaseTransport) -> None:
                sock = transport.get_extra_info("socket")
                seen["before"] = sock.getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY)
                set_nodelay(transport)
                seen["after"] = sock.getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY)
                accepted.set()

        server = await asyncio.get_running_loop().create_server(Probe, sock=listener)
        _, writer = await asyncio.open_connection(*listener.getsockname())
        await asyncio.wait_for(accepted.wait(), 5)
        writer.close()
        server.close()
        return seen["before"], seen["after"]

    # A thread of its own: the browser tests leave an event loop running in this one.
    with ThreadPoolExecutor(1) as pool:
        _, after = pool.submit(lambda: asyncio.run(scenario())).result()
    assert after != 0
