"""Account hardening: lockout after failed sign-ins, idle timeout, security headers."""

from __future__ import annotations

import time

from django.test import Client
from django.urls import reverse

from corespond.core.middleware import SEEN_KEY

PASSWORD = "correct horse battery"


def _sign_in(client: Client, username: str, password: str):
    return client.post(reverse("login"), {"username": username, "password": password})


def test_five_failed_sign_ins_lock_the_account_and_not_others(world) -> None:
    client = Client()
    for _ in range(4):
        response = _sign_in(client, "alice", "wrong password")
        assert response.status_code == 200 and "Please enter a correct" in response.content.decode()
    locked = _sign_in(client, "alice", "wrong password")
    assert locked.status_code == 429 and "Account locked for now" in locked.content.decode()
    # The right password does not help while locked, from this or another address.
    again = Client(REMOTE_ADDR="10.9.9.9")
    assert _sign_in(again, "alice", PASSWORD).status_code == 429
    # Another dispatcher at the same desk still signs in.
    assert _sign_in(client, "oscar", PASSWORD).status_code == 302


def test_a_successful_sign_in_resets_the_count(world) -> None:
    client = Client()
    for _ in range(4):
        _sign_in(client, "alice", "wrong password")
    assert _sign_in(client, "alice", PASSWORD).status_code == 302
    client.logout()
    for _ in range(4):
        _sign_in(client, "alice", "wrong password")
    assert _sign_in(client, "alice", PASSWORD).status_code == 302


def _idle(client: Client, minutes: float) -> None:
    session = client.session
    session[SEEN_KEY] = time.time() - minutes * 60
    session.save()


def test_a_session_ends_after_thirty_minutes_without_activity(world) -> None:
    client = Client()
    client.force_login(world.alice)
    assert client.get(reverse("dispatch:board")).status_code == 200
    _idle(client, 29)
    assert client.get(reverse("dispatch:board")).status_code == 200  # activity renews it
    _idle(client, 31)
    response = client.get(reverse("dispatch:board"))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login")) and "idle=1" in response["Location"]
    page = client.get(response["Location"]).content.decode()
    assert "signed out after 30 minutes without activity" in page
    # Signed out for good: the next request is an ordinary anonymous one.
    assert client.get(reverse("dispatch:board")).status_code == 302


def test_background_refreshes_do_not_keep_a_session_alive(world) -> None:
    client = Client()
    client.force_login(world.alice)
    client.get(reverse("dispatch:board"))
    _idle(client, 20)
    background = {"HTTP_X_CORESPOND_BACKGROUND": "1", "HTTP_HX_REQUEST": "true"}
    assert client.get(reverse("dispatch:board"), **background).status_code == 200
    assert time.time() - client.session[SEEN_KEY] > 19 * 60
    _idle(client, 31)
    response = client.get(reverse("dispatch:board"), **background)
    # htmx gets told to load the sign-in page as a whole page, not inside the board.
    assert response.status_code == 401 and "idle=1" in response["HX-Redirect"]


def test_keyboard_or_pointer_activity_reported_by_the_page_renews_the_session(world) -> None:
    client = Client()
    client.force_login(world.alice)
    client.get(reverse("home"))
    _idle(client, 25)
    assert client.post(reverse("activity")).status_code == 204
    assert time.time() - client.session[SEEN_KEY] < 5
    _idle(client, 31)
    assert client.post(reverse("activity")).status_code == 401
    assert Client().post(reverse("activity")).status_code == 401


def test_pages_carry_a_strict_content_security_policy(world) -> None:
    client = Client()
    client.force_login(world.alice)
    response = client.get(reverse("dispatch:board"))
    policy = response["Content-Security-Policy"]
    for directive in (
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self'",
        "frame-ancestors 'none'",
        "object-src 'none'",
    ):
        assert directive in policy
    assert "unsafe-inline" not in policy
    assert response["X-Frame-Options"] == "DENY"
    assert response["X-Content-Type-Options"] == "nosniff"
