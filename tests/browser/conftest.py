"""Browser tests: Playwright drives Debian's Chromium (/usr/bin/chromium) against a live server.

Playwright never downloads a browser here. If Chromium is missing the tests fail with the command
that installs it, rather than skipping.
"""

from __future__ import annotations

import functools
import os
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

# Playwright's sync API runs an event loop in the test thread; the ORM calls the tests make to set up
# data are still synchronous and safe.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

CHROMIUM = os.environ.get("HAFAN_CHROMIUM", "/usr/bin/chromium")
AXE = Path(__file__).parent / "vendor" / "axe.min.js"
LAUNCH_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]


@pytest.fixture(scope="session")
def chromium() -> Iterator[Any]:
    from playwright.sync_api import sync_playwright

    if not (Path(CHROMIUM).exists() or shutil.which(CHROMIUM)):
        pytest.fail(
            f"Chromium not found at {CHROMIUM}: install Debian's package with 'apt-get install -y chromium'."
        )
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=LAUNCH_ARGS, headless=True)
        yield browser
        browser.close()


@pytest.fixture
def new_page(chromium: Any) -> Iterator[Any]:
    contexts = []

    def _new() -> Any:
        context = chromium.new_context(viewport={"width": 1200, "height": 900})
        contexts.append(context)
        page = context.new_page()
        page.set_default_timeout(15_000)
        return page

    yield _new
    for context in contexts:
        context.close()


def sign_in(page: Any, base_url: str, username: str, password: str) -> None:
    """Signs in as a person does: the password, then the code their authenticator app shows now (computed
    from the user's device, which is made for them first if they have none)."""
    import time

    from hafan.accounts.demo_staff import usable_code
    from hafan.accounts.models import User
    from hafan.accounts.services import totp_device_confirmed, totp_device_provision

    user = User.objects.get(username=username)
    device = totp_device_confirmed(user=user) or totp_device_provision(user=user, name="test")

    page.goto(f"{base_url}/accounts/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", password)
    # Wait for the navigation the click starts: wait_for_load_state() alone can return at once, because the
    # login page itself is already loaded, and the URL would then be read before the redirect.
    with page.expect_navigation():
        page.click("button[type=submit]")
    assert "/accounts/two-factor/" in page.url, f"password not accepted for {username}"
    # A code is accepted once: if this step's and the next step's have both been used, wait for a new step.
    device.refresh_from_db()
    while (code := usable_code(device)) is None:
        time.sleep(1)
    page.fill("#id_code", code)
    with page.expect_navigation():
        page.click("main form button[type=submit]")
    assert "/accounts/" not in page.url, f"two-factor code not accepted for {username}"


@functools.cache
def _axe_source() -> str:
    return AXE.read_text(encoding="utf-8")


def axe_violations(page: Any) -> list[dict[str, Any]]:
    """Runs axe-core (vendored, pinned) on the page; returns violations of WCAG 2.2 A/AA rules."""
    # Not page.add_script_tag: it injects an inline <script>, which the site's CSP (script-src 'self'
    # 'nonce-...') rightly blocks. Evaluating the source through the DevTools protocol is not subject to
    # the page's CSP, so the pages are checked with their real policy in force.
    if not page.evaluate("() => typeof window.axe === 'object'"):
        page.evaluate(_axe_source())
    result = page.evaluate(
        "async () => await axe.run(document, {runOnly: {type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'wcag22aa']}})"
    )
    return [
        {
            "id": v["id"],
            "impact": v["impact"],
            "help": v["help"],
            "nodes": len(v["nodes"]),
            # Which elements, so a failure can be reported precisely without re-running the browser.
            "targets": [" ".join(map(str, n["target"])) for n in v["nodes"]],
            "html": [n["html"][:200] for n in v["nodes"]],
        }
        for v in result["violations"]
    ]
