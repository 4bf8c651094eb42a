"""The drop zone: files dropped (or chosen with the keyboard) go through the API's presigned
flow from the dashboard's server, and are followed until they are processed; what is too
large or refused says why."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from playwright.sync_api import JSHandle, Page, expect
from pydicom.data import get_testdata_file
from support.dashboard import client_for, dashboard, wait_announced
from support.local_stack import Stack

from silent_scalper.dashboard import DashboardServer

pytestmark = pytest.mark.e2e

CSV = "patient_id,visit\nP-1,2026-11-25\n"
LIMIT = 2_000


@pytest.fixture(scope="module")
def clinic(stack: Stack, partner: Callable[[str], str]) -> str:
    return partner("dash-upload")


@pytest.fixture(scope="module")
def server(stack: Stack, clinic: str) -> Iterator[DashboardServer]:
    with client_for(stack, clinic) as client, dashboard(client, max_upload_bytes=LIMIT) as served:
        yield served


def files(page: Page, *named: tuple[str, str]) -> JSHandle:
    """A DataTransfer holding files made in the page, as a drag from the desktop brings them."""
    return page.evaluate_handle(
        """(named) => {
          const transfer = new DataTransfer();
          for (const [name, text] of named) transfer.items.add(new File([text], name));
          return transfer;
        }""",
        [list(pair) for pair in named],
    )


def drop(page: Page, *named: tuple[str, str]) -> None:
    page.dispatch_event("#dropzone", "drop", {"dataTransfer": files(page, *named)})


def choose_with_the_keyboard(page: Page, server: DashboardServer, path: Path) -> None:
    """Open the list, press Enter on the file button, and pick ``path`` in the chooser."""
    page.goto(server.url)
    expect(page.locator("#updated")).to_contain_text("Updated")
    with page.expect_file_chooser() as chooser:
        page.get_by_label("Choose files to upload").press("Enter")
    chooser.value.set_files(path)


def test_a_dropped_file_is_uploaded_and_shown_processed(page, server, stack, clinic):
    page.goto(server.url)

    drop(page, ("dropped-visits.csv", CSV))

    upload = page.locator(".upload")
    expect(upload).to_have_attribute("data-state", "processed", timeout=20_000)
    file_id = upload.get_attribute("data-file-id")
    record = stack.api("GET", f"/files/{file_id}", clinic).json()
    assert (record["filename"], record["state"], record["size"]) == ("dropped-visits.csv", "processed", len(CSV))
    expect(page.locator(f"#files-table tr[data-file-id='{file_id}']")).to_be_visible()
    wait_announced(page, "dropped-visits.csv: processed.")


def test_files_can_be_chosen_with_the_keyboard(page, server, tmp_path):
    chosen = tmp_path / "chosen-vitals.jsonl"
    chosen.write_text('{"pulse": 61}\n{"pulse": 72}\n')
    choose_with_the_keyboard(page, server, chosen)

    upload = page.locator(".upload")
    expect(upload).to_have_attribute("data-state", "processed", timeout=20_000)
    expect(upload.get_by_role("link")).to_have_text("chosen-vitals.jsonl")


def test_a_dicom_file_chosen_is_uploaded_and_processed(page, stack, clinic):
    """Binary files too: a CT image (pydicom's sample, 39 kB, so on a dashboard with the
    default limit) is sent as application/dicom and judged by the DICOM validator."""
    scan = Path(get_testdata_file("CT_small.dcm") or "")
    with client_for(stack, clinic) as client, dashboard(client) as served:
        choose_with_the_keyboard(page, served, scan)

        upload = page.locator(".upload")
        expect(upload).to_have_attribute("data-state", "processed", timeout=20_000)
        file_id = upload.get_attribute("data-file-id")
    record = stack.api("GET", f"/files/{file_id}", clinic).json()
    assert (record["content_type"], record["size"]) == ("application/dicom", scan.stat().st_size)
    assert record["details"]["dicom"]["modality"] == "CT"


def test_a_file_over_the_limit_is_refused_in_the_browser_with_a_clear_message(page, server):
    page.goto(server.url)

    drop(page, ("huge.csv", "x" * (LIMIT + 1)))

    expect(page.locator(".upload.is-error")).to_contain_text("upload_too_large")
    expect(page.locator(".upload.is-error")).to_contain_text("use scalper upload")


def test_the_server_refuses_a_file_over_the_limit_in_json(page, server):
    page.goto(server.url)

    answer = page.evaluate(
        """async (size) => {
          const form = new FormData();
          form.append("file", new File(["x".repeat(size)], "huge.csv"));
          const token = document.querySelector('meta[name="csrf-token"]').content;
          const response = await fetch("/api/uploads", {method: "POST", body: form, headers: {"X-CSRF-Token": token}});
          return {status: response.status, body: await response.json()};
        }""",
        LIMIT + 1,
    )

    assert answer["status"] == 413
    assert answer["body"]["error"]["code"] == "upload_too_large"
    assert "up to 2 kB" in answer["body"]["error"]["message"]


def test_a_file_the_api_refuses_shows_the_apis_code(page, server):
    page.goto(server.url)

    drop(page, ("notes.txt", "just words"))

    expect(page.locator(".upload.is-error")).to_contain_text("unsupported_content_type")
