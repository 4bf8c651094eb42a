"""The dashboard served for one partner of a running stack, and Debian's Chromium driven by
Playwright: what the dashboard's tests and ``make screenshots`` share."""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from playwright.sync_api import Browser, Page, sync_playwright

from silent_scalper import Client
from silent_scalper.dashboard import DashboardServer, DashboardSettings, create_app
from support.local_stack import ROOT, Stack

EXAMPLES = ROOT / "examples" / "data"
EXPECTED = json.loads((EXAMPLES / "expected.json").read_text())
# Each example file under a name a clinic would give its export (sent oldest first).
UPLOADS = (
    ("patients-ward-a.csv", "patients.csv"),
    ("mri-reports-2026-11.json", "scan-reports.json"),
    ("icu-vitals-night.jsonl", "vitals.jsonl"),
    ("patients-ward-b.csv", "patients.csv"),
    ("referrals-export.json", "malformed.json"),
    ("ultrasound-export.csv", "scan-image.csv"),
    ("discharges-2026-11-24.csv", "empty.csv"),
    ("cardiology-vitals.jsonl", "vitals.jsonl"),
    ("lab-results-week-47.csv", "ragged-rows.csv"),
    ("oncology-reports.json", "scan-reports.json"),
)
MESSY = "admissions-messy.csv"
# Two problems at once: a header naming a column twice, and rows of the wrong width.
MESSY_CSV = b"patient_id,name,name,birth_date\nP-1,Ana,Silva,1990-01-02\nP-2,Ben\nP-3,Caro,Diaz,1985-05-06,x\n"
MESSY_REASONS = ("csv_no_header", "csv_ragged_rows")
FAILED, CANCELLED, PENDING = "transfer-interrupted.csv", "radiology-duplicate.csv", "pathology-pending.csv"

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


# Added to every test page: keeps each text the polite status region takes, since one
# announcement may replace another before a test (or a screen reader) reads it.
RECORD_ANNOUNCEMENTS = """
window.announced = [];
document.addEventListener("DOMContentLoaded", () => {
  const region = document.getElementById("status");
  if (!region) return;  // not a dashboard page
  new MutationObserver(() => window.announced.push(region.textContent))
    .observe(region, {childList: true, characterData: true, subtree: true});
});
"""


def wait_announced(page: Page, text: str) -> None:
    """Until the page has announced ``text`` (a part of one announcement)."""
    page.wait_for_function("(text) => window.announced.some((said) => said.includes(text))", arg=text)


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


def client_for(stack: Stack, partner: str) -> Client:
    """An SDK client with ``partner``'s API key, as ``scalper dashboard`` builds one."""
    return Client(stack.endpoint, api_key=stack.keys[partner])


@contextmanager
def dashboard(client: Client, **settings: Any) -> Iterator[DashboardServer]:
    """``scalper dashboard`` for ``client``'s partner, on a free port of 127.0.0.1, in this process."""
    server = DashboardServer(create_app(client, DashboardSettings(**settings)), port=0)
    server.start()
    try:
        yield server
    finally:
        server.stop()


@dataclass(frozen=True)
class Examples:
    """The files :func:`send_examples` sent: ids and the state each ends in, by file name."""

    ids: dict[str, str]
    states: dict[str, str]


def send_examples(stack: Stack, partner: str) -> Examples:
    """Send files for ``partner`` as a clinic would, one in each state the API can reach
    today (``processing`` passes too fast to catch, and ``expired`` needs issue 11's
    sweeper): processed, quarantined for several reasons, failed (announced to the
    processor without its bytes), cancelled, and pending_upload. Returns once each is in
    its state."""
    ids: dict[str, str] = {}
    states: dict[str, str] = {}
    for name, source in UPLOADS:
        body = (EXAMPLES / source).read_bytes()
        ids[name] = stack.upload(body, filename=name, content_type=_content_type(name), partner=partner)["file_id"]
        states[name] = EXPECTED[source]["state"]
    ids[MESSY] = stack.upload(MESSY_CSV, filename=MESSY, partner=partner)["file_id"]
    states[MESSY] = "quarantined"
    ids[FAILED] = stack.declare(b"id\n1\n", filename=FAILED, partner=partner)["file_id"]
    stack.notify_created(f"uploads/{partner}/{ids[FAILED]}")
    states[FAILED] = "failed"
    ids[CANCELLED] = stack.declare(b"id\n2\n", filename=CANCELLED, partner=partner)["file_id"]
    assert stack.api("DELETE", f"/uploads/{ids[CANCELLED]}", partner).status_code == 200
    states[CANCELLED] = "cancelled"
    ids[PENDING] = stack.declare(b"id\n3\n", filename=PENDING, partner=partner)["file_id"]
    states[PENDING] = "pending_upload"
    for name, file_id in ids.items():
        reached = stack.wait_state(file_id, {states[name]}, partner=partner)["state"]
        assert reached == states[name], (name, reached)
    return Examples(ids=ids, states=states)


def _content_type(name: str) -> str:
    return {"csv": "text/csv", "json": "application/json", "jsonl": "application/x-ndjson"}[name.rsplit(".", 1)[1]]
