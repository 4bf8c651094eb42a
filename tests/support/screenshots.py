"""``make screenshots``: PNGs of the dashboard for docs/dashboard.md.

Starts a local stack, sends example files through the API as a clinic would (processed,
quarantined for several reasons, one failed, one never uploaded, one cancelled), serves
the dashboard for that clinic, and has Chromium photograph the files list and a
quarantined file's page::

    PYTHONPATH=tests .venv/bin/python -m support.screenshots docs/img
"""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

from playwright.sync_api import Browser, Page, expect

from support.dashboard import MESSY, chromium, client_for, dashboard, send_examples
from support.local_stack import ROOT, Stack, local_stack

PARTNER = "northside"
VIEWPORT = {"width": 1440, "height": 900}


def take(stack: Stack, partner: str, out: Path, browser: Browser) -> list[Path]:
    """Photograph the list and the messy file's page; returns the PNGs written."""
    ids = send_examples(stack, partner).ids
    out.mkdir(parents=True, exist_ok=True)
    with client_for(stack, partner) as client, dashboard(client) as server:
        page = browser.new_page(viewport=VIEWPORT)
        page.goto(f"{server.url}?hours=6")  # the files are minutes old: six wide hourly bars read best
        _settle(page, "#files-table tbody tr[data-file-id]")
        shots = [out / "dashboard-files.png", out / "dashboard-quarantined-file.png"]
        page.screenshot(path=shots[0], full_page=True)
        page.goto(f"{server.url}files/{ids[MESSY]}")
        _settle(page, ".reason")
        page.screenshot(path=shots[1], full_page=True)
        page.close()
    return shots


def _settle(page: Page, selector: str) -> None:
    expect(page.locator(selector).first).to_be_visible()
    expect(page.locator("#updated")).to_contain_text("Updated")


def main(argv: list[str]) -> int:
    out = Path(argv[0]) if argv else ROOT / "docs" / "img"
    with (
        tempfile.TemporaryDirectory() as tmp,
        local_stack(Path(tmp) / "stack.log", partners=(PARTNER,)) as stack,
        chromium() as browser,
    ):
        for shot in take(stack, PARTNER, out, browser):
            print(shot)
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
