"""The dashboard in a real browser (Debian's Chromium through Playwright) against a local
stack: browser -> dashboard server -> SDK -> gateway -> handlers -> moto.

Each module onboards partners of its own, so its lists hold exactly the files it sent.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field

import pytest
from playwright.sync_api import Browser, ConsoleMessage, Page
from support.dashboard import RECORD_ANNOUNCEMENTS, chromium
from support.local_stack import Stack, local_stack

LAPTOP = {"width": 1366, "height": 768}


@dataclass
class Watched:
    """What a page did that it never should: uncaught errors, dialogs, CSP refusals."""

    errors: list[str] = field(default_factory=list)
    dialogs: list[str] = field(default_factory=list)
    refused: list[str] = field(default_factory=list)

    def on_console(self, message: ConsoleMessage) -> None:
        if "Content Security Policy" in message.text or "TrustedHTML" in message.text:
            self.refused.append(message.text)


@pytest.fixture(scope="session")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    """A stack of the dashboard tests' own, in place of the shared one: they leave a failed
    file's message in flight on the upload queue (it comes back after the visibility
    timeout), which would keep that queue from ever draining for the tests that wait on it."""
    with local_stack(tmp_path_factory.mktemp("dashboard-stack") / "stack.log", "--no-throttle") as started:
        yield started


@pytest.fixture(scope="session")
def browser() -> Iterator[Browser]:
    with chromium() as started:
        yield started


@pytest.fixture
def watched() -> Watched:
    return Watched()


@pytest.fixture
def page(browser: Browser, watched: Watched) -> Iterator[Page]:
    """A fresh tab on a laptop-sized screen; fails the test if the page threw, opened a
    dialog or had something refused by its Content-Security-Policy."""
    context = browser.new_context(viewport=LAPTOP)
    context.add_init_script(RECORD_ANNOUNCEMENTS)
    tab = context.new_page()
    tab.on("pageerror", lambda error: watched.errors.append(str(error)))
    tab.on("dialog", lambda dialog: (watched.dialogs.append(dialog.message), dialog.dismiss()))
    tab.on("console", watched.on_console)
    tab.set_default_timeout(15_000)
    yield tab
    context.close()
    assert watched.errors == [], watched.errors
    assert watched.dialogs == [], watched.dialogs
    assert watched.refused == [], watched.refused


@pytest.fixture(scope="module")
def partner(stack: Stack) -> Callable[[str], str]:
    """Onboard a partner only this module uses; returns its id."""

    def make(prefix: str) -> str:
        partner_id = f"{prefix}-{secrets.token_hex(3)}"
        stack.onboard(partner_id)
        return partner_id

    return make
