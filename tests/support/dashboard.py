"""The dashboard served for one partner of a running stack, and Debian's Chromium driven by
Playwright: what the dashboard's tests and ``make screenshots`` share."""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from playwright.sync_api import Browser, sync_playwright

from silent_scalper import Client
from silent_scalper.dashboard import DashboardServer, DashboardSettings, create_app

CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")
# Headless, and nothing that would reach the network or update itself.
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


@contextmanager
def chromium() -> Iterator[Browser]:
    """Debian's Chromium (``make test`` installs it), never a browser Playwright downloads."""
    if not os.access(CHROMIUM, os.X_OK):
        raise RuntimeError(f"no Chromium at {CHROMIUM}: run `make chromium` (or apt-get install chromium)")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            yield browser
        finally:
            browser.close()


@contextmanager
def dashboard(client: Client, **settings: Any) -> Iterator[DashboardServer]:
    """``scalper dashboard`` for ``client``'s partner, on a free port of 127.0.0.1, in this process."""
    server = DashboardServer(create_app(client, DashboardSettings(**settings)), port=0)
    server.start()
    try:
        yield server
    finally:
        server.stop()
