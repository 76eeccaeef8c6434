"""Playwright for Python driving Debian's chromium (browser downloads are not used)."""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from typing import Any

import pytest

CHROMIUM_CANDIDATES = ["/usr/bin/chromium", "/usr/bin/chromium-browser"]


def chromium_path() -> str | None:
    configured = os.environ.get("CORESPOND_CHROMIUM")
    if configured:
        return configured
    for candidate in CHROMIUM_CANDIDATES:
        if os.path.exists(candidate):
            return candidate
    return shutil.which("chromium")


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    path = chromium_path()
    if path is None:
        message = "Debian's chromium is not installed (apt-get install chromium)"
        if os.environ.get("CORESPOND_REQUIRE_BROWSER") == "1":
            pytest.fail(message)
        pytest.skip(message)
    # Playwright's sync API runs an event loop in this thread; the live server's database work
    # happens in its own thread, so Django's async-safety guard does not apply here.
    from playwright.sync_api import sync_playwright

    with pytest.MonkeyPatch.context() as patch, sync_playwright() as pw:
        patch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
        instance = pw.chromium.launch(
            executable_path=path,
            headless=True,
            args=[
                "--no-sandbox",
                "--disable-gpu",
                "--disable-quic",
                "--no-first-run",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
            ],
        )
        yield instance
        instance.close()


@pytest.fixture
def page_factory(browser: Any, live_server: Any) -> Iterator[Any]:
    """Open a signed-in page for a persona, at a given viewport."""
    contexts = []
    violations: list[str] = []

    def open_page(
        username: str, password: str, *, width: int = 1280, height: int = 800, **options: Any
    ) -> Any:
        # ``options`` go to the browser context (a phone's geolocation and permissions).
        context = browser.new_context(viewport={"width": width, "height": height}, **options)
        context.set_default_timeout(15000)
        contexts.append(context)
        page = context.new_page()
        # Every page must live within the Content Security Policy: collect what it refuses.
        page.on(
            "console",
            lambda msg: (
                violations.append(msg.text) if "Content Security Policy" in msg.text else None
            ),
        )
        page.goto(f"{live_server.url}/login/")
        page.get_by_label("Username").fill(username)
        page.get_by_label("Password").fill(password)
        page.get_by_role("button", name="Sign in").click()
        page.wait_for_url(f"{live_server.url}/")
        return page

    yield open_page
    for context in contexts:
        context.close()
    assert violations == [], f"the CSP refused something: {violations}"
