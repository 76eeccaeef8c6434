"""A second factor for every role that can see person-level data (when MFA is required)."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse
from django_otp.oath import totp
from django_otp.plugins.otp_totp.models import TOTPDevice


def code(device: TOTPDevice, offset: int = 0) -> str:
    """What the authenticator app shows (``offset`` steps away from now)."""
    value = totp(device.bin_key, device.step, device.t0, device.digits, offset)
    return f"{value:0{device.digits}d}"


@pytest.fixture
def mfa_on(settings) -> None:
    settings.MFA_REQUIRED = True


def test_a_dispatcher_sets_up_the_second_factor_before_anything_else(
    world, mfa_on, settings
) -> None:
    # django-otp slows retries after a wrong code (1 s, then doubling); a person typing
    # never notices, this test would.
    settings.OTP_TOTP_THROTTLE_FACTOR = 0
    client = Client()
    client.force_login(world.alice)
    board = reverse("dispatch:board")
    response = client.get(board)
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("mfa_setup"))
    page = client.get(response["Location"]).content.decode()
    assert "<svg" in page and 'data-testid="mfa-secret"' in page
    device = TOTPDevice.objects.get(user=world.alice)
    assert not device.confirmed
    wrong = client.post(reverse("mfa_setup"), {"token": "000000", "next": board})
    assert wrong.status_code == 400 and "That code is not right" in wrong.content.decode()
    done = client.post(reverse("mfa_setup"), {"token": code(device), "next": board})
    assert done.status_code == 302 and done["Location"] == board
    assert client.get(board).status_code == 200


def test_the_next_sign_in_asks_for_a_code_and_a_used_code_does_not_work_twice(
    world, mfa_on
) -> None:
    device = TOTPDevice.objects.create(user=world.clara, name="app", confirmed=True)
    client = Client()
    client.force_login(world.clara)
    response = client.get(reverse("field:mine"))
    assert response["Location"].startswith(reverse("mfa_verify"))
    first = code(device)
    assert client.post(reverse("mfa_verify"), {"token": first}).status_code == 302
    assert client.get(reverse("field:mine")).status_code in (200, 302)
    assert client.get(reverse("home")).status_code == 200
    # Another session cannot replay the same code.
    other = Client()
    other.force_login(world.clara)
    replay = other.post(reverse("mfa_verify"), {"token": first})
    assert replay.status_code == 400
    assert other.get(reverse("home"))["Location"].startswith(reverse("mfa_verify"))


def test_background_and_json_requests_get_401_not_a_page(world, mfa_on) -> None:
    client = Client()
    client.force_login(world.alice)
    response = client.get(reverse("dispatch:board"), HTTP_HX_REQUEST="true")
    assert response.status_code == 401 and reverse("mfa_setup") in response["HX-Redirect"]
    response = client.post(reverse("dispatch:preview"), "{}", content_type="application/json")
    assert response.status_code == 401


def test_evaluators_see_only_aggregates_and_need_no_second_factor(world, mfa_on) -> None:
    client = Client()
    client.force_login(world.eve)
    assert client.get(reverse("outcomes:metrics")).status_code == 200


def test_without_the_setting_a_password_is_enough(world) -> None:
    client = Client()
    client.force_login(world.alice)
    assert client.get(reverse("dispatch:board")).status_code == 200


def test_the_next_address_cannot_send_the_user_elsewhere(world, mfa_on) -> None:
    device = TOTPDevice.objects.create(user=world.alice, name="app", confirmed=True)
    client = Client()
    client.force_login(world.alice)
    response = client.post(
        reverse("mfa_verify"), {"token": code(device), "next": "https://evil.example/"}
    )
    assert response["Location"] == reverse("home")
