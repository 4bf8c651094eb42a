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

from playwright.sync_api import Browser, Page

from silent_scalper import Client
from support.dashboard import chromium, dashboard
from support.local_stack import ROOT, Stack, local_stack

EXAMPLES = ROOT / "examples" / "data"
PARTNER = "northside"
VIEWPORT = {"width": 1440, "height": 900}
# A name to give each example file, as a clinic would name its exports.
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
# Two problems at once: a header naming a column twice, and rows of the wrong width.
MESSY_CSV = b"patient_id,name,name,birth_date\nP-1,Ana,Silva,1990-01-02\nP-2,Ben\nP-3,Caro,Diaz,1985-05-06,x\n"


def fill(stack: Stack, partner: str) -> dict[str, str]:
    """Send the example files for ``partner``; returns file ids by file name, once final."""
    ids = {name: stack.upload((EXAMPLES / source).read_bytes(), filename=name, content_type=_type(name),
                              partner=partner)["file_id"] for name, source in UPLOADS}
    ids["admissions-messy.csv"] = stack.upload(MESSY_CSV, filename="admissions-messy.csv", partner=partner)["file_id"]
    failing = stack.declare(b"id\n1\n", filename="transfer-interrupted.csv", partner=partner)["file_id"]
    stack.notify_created(f"uploads/{partner}/{failing}")  # its bytes never came: processing fails
    cancelled = stack.declare(b"id\n2\n", filename="radiology-duplicate.csv", partner=partner)["file_id"]
    assert stack.api("DELETE", f"/uploads/{cancelled}", partner).status_code == 200
    stack.declare(b"id\n3\n", filename="pathology-pending.csv", partner=partner)
    for file_id in ids.values():
        stack.wait_final(file_id, partner=partner)
    stack.wait_state(failing, {"failed"}, partner=partner)
    return ids


def take(stack: Stack, partner: str, out: Path, browser: Browser) -> list[Path]:
    """Photograph the list and the messy file's page; returns the PNGs written."""
    ids = fill(stack, partner)
    out.mkdir(parents=True, exist_ok=True)
    with Client(stack.endpoint, api_key=stack.keys[partner]) as client, dashboard(client) as server:
        page = browser.new_page(viewport=VIEWPORT)
        page.goto(server.url)
        _settle(page, "#files-table tbody tr[data-file-id]")
        shots = [out / "dashboard-files.png", out / "dashboard-quarantined-file.png"]
        page.screenshot(path=shots[0], full_page=True)
        page.goto(f"{server.url}files/{ids['admissions-messy.csv']}")
        _settle(page, ".reason")
        page.screenshot(path=shots[1], full_page=True)
        page.close()
    return shots


def _settle(page: Page, selector: str) -> None:
    page.wait_for_selector(selector)
    page.wait_for_function("document.querySelector('#updated').textContent.startsWith('Updated')")


def _type(name: str) -> str:
    return {"csv": "text/csv", "json": "application/json", "jsonl": "application/x-ndjson"}[name.rsplit(".", 1)[1]]


def main(argv: list[str]) -> int:
    out = Path(argv[0]) if argv else ROOT / "docs" / "img"
    with tempfile.TemporaryDirectory() as tmp, local_stack(Path(tmp) / "stack.log", partners=(PARTNER,)) as stack:
        with chromium() as browser:
            for shot in take(stack, PARTNER, out, browser):
                print(shot)
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
