"""The second factor: TOTP devices (django-otp) for everyone with person-level access."""

from __future__ import annotations

from typing import Any

import qrcode
import qrcode.image.svg
from django.conf import settings
from django.http import HttpRequest
from django_otp import login as otp_login
from django_otp.plugins.otp_totp.models import TOTPDevice

from corespond.core.access import roles_of
from corespond.core.roles import PERSON_LEVEL_ROLES

ERR_CODE = "That code is not right (or was used already). Enter the 6 digits the app shows now."


def needs_mfa(user: Any) -> bool:
    if not settings.MFA_REQUIRED or not user.is_authenticated:
        return False
    return bool(user.is_staff or user.is_superuser or roles_of(user) & PERSON_LEVEL_ROLES)


def confirmed_device(user: Any) -> TOTPDevice | None:
    return TOTPDevice.objects.filter(user=user, confirmed=True).first()


def pending_device(user: Any) -> TOTPDevice:
    """The device being set up: kept across reloads of the set-up page until confirmed."""
    device = TOTPDevice.objects.filter(user=user, confirmed=False).first()
    if device is None:
        device = TOTPDevice.objects.create(user=user, name="authenticator app", confirmed=False)
    return device


def qr_svg(device: TOTPDevice) -> str:
    image = qrcode.make(device.config_url, image_factory=qrcode.image.svg.SvgPathImage, box_size=8)
    svg: str = image.to_string(encoding="unicode")
    return svg


def secret_text(device: TOTPDevice) -> str:
    """The key as authenticator apps accept it typed in: base32, in groups of four."""
    from base64 import b32encode

    key = b32encode(device.bin_key).decode().rstrip("=")
    return " ".join(key[i : i + 4] for i in range(0, len(key), 4))


def confirm(request: HttpRequest, token: str) -> bool:
    """Finish set-up with a first good code; the session is verified from then on."""
    device = pending_device(request.user)
    if not device.verify_token(token.strip()):
        return False
    device.confirmed = True
    device.save(update_fields=["confirmed"])
    otp_login(request, device)
    return True


def verify(request: HttpRequest, token: str) -> bool:
    device = confirmed_device(request.user)
    if device is None or not device.verify_token(token.strip()):
        return False
    otp_login(request, device)
    return True
