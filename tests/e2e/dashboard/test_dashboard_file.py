"""A file's page in the browser: the record, every reason, where the file is, following
it until it is final, and reprocessing only where the API offers it."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator

import pytest
import requests
from playwright.sync_api import Page, expect
from support.dashboard import MESSY, MESSY_CSV, MESSY_REASONS, client_for, dashboard, wait_announced
from support.local_stack import Stack

from silent_scalper.dashboard import DashboardServer

pytestmark = pytest.mark.e2e

VALID = b"patient_id,visit\nP-1,2026-11-25\nP-2,2026-11-26\n"


@pytest.fixture(scope="module")
def clinic(stack: Stack, partner: Callable[[str], str]) -> str:
    return partner("dash-file")


@pytest.fixture(scope="module")
def server(stack: Stack, clinic: str) -> Iterator[DashboardServer]:
    with client_for(stack, clinic) as client, dashboard(client, refresh_seconds=1) as served:
        yield served


def open_file(page: Page, server: DashboardServer, file_id: str) -> None:
    page.goto(f"{server.url}files/{file_id}")
    expect(page.locator("#file-view")).to_have_attribute("aria-busy", "false")


def test_a_quarantined_files_page_lists_every_reason_and_where_the_file_went(page, server, stack, clinic):
    file_id = stack.upload(MESSY_CSV, filename=MESSY, partner=clinic)["file_id"]
    record = stack.wait_final(file_id, partner=clinic)

    open_file(page, server, file_id)

    expect(page.get_by_role("heading", level=1)).to_have_text(MESSY)
    expect(page.locator(".file-head .badge")).to_have_text("quarantined")
    reasons = page.locator(".reason")
    expect(reasons.locator(".reason-code")).to_have_text(list(MESSY_REASONS))
    expect(reasons.locator(".reason-message")).to_have_text([reason["message"] for reason in record["reasons"]])
    # The first from the reason's location, the second from the lines its message names.
    expect(reasons.locator(".reason-where")).to_have_text(["Where: line 1", "Where: line 3, line 4"])
    quarantine = record["quarantine"]
    expect(page.locator(".location")).to_have_text(f"s3://{quarantine['bucket']}/{quarantine['key']}")
    expect(page.locator(".facts").first).to_contain_text(record["sha256"])


def test_a_processed_files_page_shows_its_details_and_output(page, server, stack, clinic):
    file_id = stack.upload(
        VALID, filename="visits.csv", partner=clinic, declared={"metadata": {"ward": "north", "batch": "47"}}
    )["file_id"]
    record = stack.wait_final(file_id, partner=clinic)

    open_file(page, server, file_id)

    facts = page.locator(".facts").first
    expect(facts).to_contain_text("Rows \N{MULTIPLICATION SIGN} columns2 \N{MULTIPLICATION SIGN} 2")
    expect(facts).to_contain_text(f"File id{file_id}")
    output = record["output"]
    expect(page.locator(".location")).to_have_text(f"s3://{output['bucket']}/{output['key']}")
    expect(page.get_by_role("region", name="Metadata")).to_contain_text("wardnorth")
    expect(page.locator(".reason")).to_have_count(0)


def test_the_page_follows_a_file_until_it_is_final(page, server, stack, clinic):
    ticket = stack.declare(VALID, filename="arriving.csv", partner=clinic)
    open_file(page, server, ticket["file_id"])
    expect(page.locator(".file-head .badge")).to_have_text("pending upload")

    put = requests.put(ticket["upload"]["url"], data=VALID, headers=ticket["upload"]["headers"], timeout=10)
    assert put.status_code == 200

    expect(page.locator(".file-head .badge")).to_have_text("processed", timeout=20_000)
    wait_announced(page, "State changed from")
    wait_announced(page, "to processed.")


def test_another_partners_or_unknown_file_is_not_found(page, server):
    open_file(page, server, "f_00000000000000000000000000")

    expect(page.get_by_role("heading", level=1)).to_have_text("File not found")
    expect(page.locator("[data-error-code]")).to_have_attribute("data-error-code", "file_not_found")


def test_a_quarantined_file_reprocessed_from_its_page_runs_again_and_lists_the_attempt(page, server, stack, clinic):
    file_id = stack.upload(MESSY_CSV, filename="again.csv", partner=clinic)["file_id"]
    assert len(stack.wait_final(file_id, partner=clinic)["history"]) == 1
    open_file(page, server, file_id)
    attempts = page.get_by_role("region", name="Attempts")
    expect(attempts.locator("tbody tr")).to_have_count(1)

    page.get_by_role("button", name="Reprocess").click()

    wait_announced(page, "Sent for reprocessing.")
    # The same bytes, judged again: quarantined again, each verdict kept as an attempt.
    expect(attempts.locator("tbody tr")).to_have_count(2, timeout=30_000)
    expect(attempts.locator("tbody tr").nth(1)).to_contain_text("csv_ragged_rows")
    record = stack.wait_final(file_id, partner=clinic)
    assert (record["state"], record["attempts"]) == ("quarantined", 2)
    assert [a["state"] for a in record["history"]] == ["quarantined", "quarantined"]


def test_a_processed_files_page_offers_no_reprocess(page, server, stack, clinic):
    file_id = stack.upload(VALID, filename="fine.csv", partner=clinic)["file_id"]
    assert stack.wait_final(file_id, partner=clinic)["state"] == "processed"

    open_file(page, server, file_id)

    expect(page.get_by_role("region", name="Attempts")).to_be_visible()
    expect(page.get_by_role("button", name="Reprocess")).to_have_count(0)


def test_no_reprocess_button_or_attempts_from_an_api_that_keeps_no_history(page, server, stack, clinic):
    file_id = stack.upload(MESSY_CSV, filename="older.csv", partner=clinic)["file_id"]
    stack.wait_final(file_id, partner=clinic)

    def without_history(route):  # an API from before reprocessing: records have no history
        response = route.fetch()
        route.fulfill(response=response, json={k: v for k, v in response.json().items() if k != "history"})

    page.route(f"**/api/files/{file_id}", without_history)
    open_file(page, server, file_id)

    expect(page.locator(".reason").first).to_be_visible()
    expect(page.get_by_role("button", name="Reprocess")).to_have_count(0)
    expect(page.get_by_role("heading", name="Attempts")).to_have_count(0)


def test_reprocessing_a_file_that_is_not_final_answers_the_apis_own_error(page, server, stack, clinic):
    file_id = stack.declare(VALID, filename="never-sent.csv", partner=clinic)["file_id"]
    open_file(page, server, file_id)

    answer = page.evaluate(POST_FROM_THE_PAGE, f"/api/files/{file_id}/reprocess")

    # A declared file still waiting for its bytes cannot be reprocessed; the dashboard
    # passes the API's error on as it came.
    assert answer["status"] == 409
    assert answer["body"]["error"]["code"] == "invalid_state"


# A POST from the page's own script context, with the page's CSRF token, as the button sends it.
POST_FROM_THE_PAGE = """async (url) => {
  const token = document.querySelector('meta[name="csrf-token"]').content;
  const response = await fetch(url, {method: "POST", headers: {"X-CSRF-Token": token}});
  return {status: response.status, body: await response.json()};
}"""


# Attempts as the API keeps them (records.Attempt); the browser's routes serve them, and
# stand in for an API without the reprocess route, to check what the page does with them.
HISTORY = [
    {
        "attempt": 1,
        "state": "failed",
        "reasons": [],
        "error": "storage_unavailable",
        "started_at": "2026-11-25T21:37:20Z",
        "finished_at": "2026-11-25T21:37:21Z",
    },
]


def with_history(page: Page, file_id: str) -> list[dict[str, str]]:
    """Serve this file's record with a ``history``; record each reprocess request the page sends."""
    sent: list[dict[str, str]] = []

    def record(route):
        response = route.fetch()
        route.fulfill(response=response, json={**response.json(), "history": HISTORY})

    def reprocess(route):
        sent.append(route.request.headers)
        route.fulfill(status=404, json={"error": {"code": "route_not_found", "message": "no such route"}})

    page.route(f"**/api/files/{file_id}", record)
    page.route(f"**/api/files/{file_id}/reprocess", reprocess)
    return sent


def test_each_attempt_shows_its_state_reasons_and_error_code(page, server, stack, clinic):
    file_id = stack.upload(MESSY_CSV, filename="history.csv", partner=clinic)["file_id"]
    stack.wait_final(file_id, partner=clinic)
    with_history(page, file_id)

    open_file(page, server, file_id)

    row = page.get_by_role("region", name="Attempts").locator("tbody tr")
    expect(row).to_have_count(1)
    expect(row).to_contain_text("failed")
    expect(row).to_contain_text("storage_unavailable")
    expect(row).not_to_contain_text("undefined")
    expect(page.get_by_role("button", name="Reprocess")).to_be_visible()


def test_the_reprocess_button_sends_the_csrf_token_and_goes_when_the_route_is_missing(page, server, stack, clinic):
    file_id = stack.upload(MESSY_CSV, filename="no-route.csv", partner=clinic)["file_id"]
    stack.wait_final(file_id, partner=clinic)
    sent = with_history(page, file_id)
    open_file(page, server, file_id)
    token = page.locator('meta[name="csrf-token"]').get_attribute("content")

    page.get_by_role("button", name="Reprocess").click()

    expect(page.get_by_role("button", name="Reprocess")).to_have_count(0)
    wait_announced(page, "This API does not offer reprocessing.")
    assert [headers["x-csrf-token"] for headers in sent] == [token]
    assert json.loads(page.locator(".raw pre").text_content() or "")["history"] == HISTORY
