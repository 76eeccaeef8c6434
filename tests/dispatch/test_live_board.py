"""The live board: a version token that moves with the board, and the event stream."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

from corespond.dispatch import events
from corespond.dispatch.selectors import board_version
from corespond.dispatch.services import team_status_set
from tests.journey import make_call


def test_the_board_version_moves_when_calls_or_teams_change(world) -> None:
    before = board_version(user=world.alice)
    make_call(world)
    after_call = board_version(user=world.alice)
    assert after_call != before
    team_status_set(actor=world.alice, team_id=world.team.pk, status="out_of_service")
    assert board_version(user=world.alice) != after_call
    assert board_version(user=world.alice) == board_version(user=world.alice)


def test_an_outsiders_board_does_not_move_with_riversides_calls(world) -> None:
    before = board_version(user=world.olga)
    make_call(world)
    assert board_version(user=world.olga) == before


def test_the_stream_sends_an_event_per_change_and_keeps_the_line_alive(monkeypatch) -> None:
    monkeypatch.setattr(events, "CHECK_SECONDS", 0.001)
    monkeypatch.setattr(events, "KEEPALIVE_SECONDS", 0.0)
    tokens = iter(["a", "a", "b", "b", "b"])
    chunks = list(events.stream_sync(lambda: next(tokens, "b"), seconds=0.05))
    assert chunks[0] == "retry: 1000\n\n"
    sent = [c for c in chunks if c.startswith("event:")]
    assert sent == ["event: board\ndata: a\n\n", "event: board\ndata: b\n\n"]
    assert ": still here\n\n" in chunks


def test_the_event_stream_is_for_dispatchers_and_starts_with_the_version(world) -> None:
    url = reverse("dispatch:board_events")
    officer = Client()
    officer.force_login(world.oscar)
    assert officer.get(url).status_code == 403
    dispatcher = Client()
    dispatcher.force_login(world.alice)
    response = dispatcher.get(url)
    assert response["Content-Type"] == "text/event-stream"
    stream = iter(response.streaming_content)
    assert next(stream) == b"retry: 1000\n\n"
    assert next(stream) == f"event: board\ndata: {board_version(user=world.alice)}\n\n".encode()
    response.close()


@pytest.mark.django_db(transaction=True)
def test_under_asgi_the_stream_is_asynchronous(world) -> None:
    import asyncio
    from concurrent.futures import ThreadPoolExecutor

    from asgiref.sync import sync_to_async
    from django.db import connections
    from django.test import AsyncClient

    async def first_two_chunks() -> list[bytes]:
        client = AsyncClient()
        await sync_to_async(client.force_login)(world.alice)
        response = await client.get(reverse("dispatch:board_events"))
        assert response.is_async
        stream = aiter(response.streaming_content)
        chunks = [await anext(stream), await anext(stream)]
        await stream.aclose()
        # The view's database work ran in asgiref's worker thread: close what it opened there.
        await sync_to_async(connections.close_all)()
        return chunks

    # A thread of its own: Playwright's sync API may hold an event loop in this one.
    with ThreadPoolExecutor(max_workers=1) as pool:
        chunks = pool.submit(asyncio.run, first_two_chunks()).result(timeout=30)
    assert chunks[0] == b"retry: 1000\n\n"
    assert chunks[1].startswith(b"event: board\ndata: ")
