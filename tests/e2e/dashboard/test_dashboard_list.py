"""The files list in the browser: every state, filters, search, time, cursor paging, the
overview figures, and updates while the page is open."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from urllib.parse import parse_qs, quote, urlsplit

import pytest
from playwright.sync_api import Page, expect
from support.dashboard import (
    FAILED,
    MESSY,
    MESSY_REASONS,
    Examples,
    client_for,
    dashboard,
    send_examples,
    wait_announced,
)
from support.local_stack import Stack

from silent_scalper.dashboard import DashboardServer

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module")
def clinic(stack: Stack, partner: Callable[[str], str]) -> tuple[str, Examples]:
    partner_id = partner("dash-list")
    return partner_id, send_examples(stack, partner_id)


@pytest.fixture(scope="module")
def server(stack: Stack, clinic: tuple[str, Examples]) -> Iterator[DashboardServer]:
    with client_for(stack, clinic[0]) as client, dashboard(client, refresh_seconds=1) as served:
        yield served


@pytest.fixture
def examples(clinic: tuple[str, Examples]) -> Examples:
    return clinic[1]


def shown(page: Page) -> list[tuple[str, str]]:
    """(file name, state) of each row, top to bottom, once the table is drawn."""
    rows = page.locator("#files-table tbody tr")
    expect(rows.first).to_be_visible()
    names = rows.locator("th.filename").all_inner_texts()
    states = rows.locator(".badge").all_inner_texts()
    return list(zip(names, states, strict=True))


def open_list(page: Page, server: DashboardServer, query: str = "") -> None:
    page.goto(f"{server.url}{query}")
    expect(page.locator("#updated")).to_contain_text("Updated")


def test_the_list_shows_every_file_newest_first_in_its_state(page, server, examples):
    open_list(page, server)

    rows = shown(page)

    sent_newest_first = list(reversed(examples.ids))
    assert [name for name, _ in rows] == sent_newest_first
    assert {name: state.replace(" ", "_") for name, state in rows} == examples.states
    assert {state for _, state in rows} >= {"processed", "quarantined", "failed", "cancelled", "pending upload"}


def test_each_row_shows_size_type_times_and_reasons(page, server, examples):
    open_list(page, server)

    row = page.locator(f"tr[data-file-id='{examples.ids[MESSY]}']")

    expect(row.locator("td").nth(1)).to_have_text("92 B")
    expect(row.locator("td").nth(2)).to_have_text("text/csv · csv")
    expect(row.locator("td").nth(3).locator("time")).to_have_attribute("datetime", re.compile(r"^\d{4}-\d\d-\d\dT"))
    expect(row.locator("td").nth(4)).to_contain_text(re.compile(r"· \d+ ms|· \d+(\.\d)? s"))
    assert row.locator(".reasons code").all_inner_texts() == list(MESSY_REASONS)
    failed = page.locator(f"tr[data-file-id='{examples.ids[FAILED]}']")
    expect(failed.locator(".reasons code")).to_have_text(["processing_error"])


def test_filtering_by_state_shows_only_that_state_and_puts_it_in_the_url(page, server, examples):
    open_list(page, server)

    page.get_by_label("State", exact=True).select_option("quarantined")
    page.get_by_role("button", name="Apply").click()

    expect(page).to_have_url(re.compile(r"\?state=quarantined$"))
    quarantined = [name for name, state in examples.states.items() if state == "quarantined"]
    assert sorted(name for name, _ in shown(page)) == sorted(quarantined)
    assert {state for _, state in shown(page)} == {"quarantined"}


def test_searching_by_name_ignores_case(page, server, examples):
    open_list(page, server)

    page.get_by_label("File name contains").fill("VITALS")
    page.keyboard.press("Enter")

    expect(page).to_have_url(re.compile(r"\?q=VITALS$"))
    assert sorted(name for name, _ in shown(page)) == ["cardiology-vitals.jsonl", "icu-vitals-night.jsonl"]


def test_a_time_range_before_the_files_shows_none(page, server):
    open_list(page, server)
    page.get_by_label("Created", exact=True).select_option("range")
    page.get_by_label("To", exact=True).fill("2020-01-01T00:00:00")
    page.get_by_role("button", name="Apply").click()

    expect(page.locator("#files-table td.empty")).to_have_text("No files match these filters.")
    query = parse_qs(urlsplit(page.url).query)
    assert list(query) == ["created_before"]
    assert datetime.fromisoformat(query["created_before"][0]).year in (2019, 2020)  # local midnight in UTC


def test_the_last_hour_shows_them_all_and_an_absolute_window_too(page, server, examples):
    open_list(page, server, "?since=1h")
    assert len(shown(page)) == len(examples.ids)

    after = quote((datetime.now(UTC) - timedelta(hours=1)).isoformat())
    before = quote((datetime.now(UTC) + timedelta(minutes=1)).isoformat())
    open_list(page, server, f"?created_after={after}&created_before={before}")
    assert len(shown(page)) == len(examples.ids)
    expect(page.get_by_label("Created", exact=True)).to_have_value("range")


def test_paging_follows_the_apis_cursors_to_the_last_page_and_back(page, server, examples):
    open_list(page, server, "?limit=5")
    seen: list[list[str]] = []
    while True:
        seen.append([name for name, _ in shown(page)])
        older = page.get_by_role("link", name="Older →")
        if not older.is_visible():
            break
        older.click()
        expect(page).to_have_url(re.compile(r"cursor="))
    total = len(examples.ids)
    assert [len(names) for names in seen] == [5] * (total // 5) + ([total % 5] if total % 5 else [])
    assert [name for names in seen for name in names] == list(reversed(examples.ids))

    last_url = page.url
    page.get_by_role("link", name="← Newer").click()
    expect(page).not_to_have_url(last_url)
    assert [name for name, _ in shown(page)] == seen[-2]
    page.get_by_role("link", name="Newest").click()
    expect(page).not_to_have_url(re.compile("cursor="))
    assert [name for name, _ in shown(page)] == seen[0]


def test_a_shared_url_opens_the_same_view(page, server, examples):
    open_list(page, server, "?state=processed&q=patients&since=24h")

    expect(page.get_by_label("State", exact=True)).to_have_value("processed")
    expect(page.get_by_label("File name contains")).to_have_value("patients")
    expect(page.get_by_label("Created", exact=True)).to_have_value("24h")
    assert sorted(name for name, _ in shown(page)) == ["patients-ward-a.csv", "patients-ward-b.csv"]


def test_a_filter_the_api_refuses_shows_its_error_code(page, server):
    open_list(page, server, "?state=lost")

    expect(page.get_by_role("alert")).to_contain_text("invalid_request")
    expect(page.get_by_role("alert")).to_contain_text("state")


def test_the_overview_counts_the_files_by_outcome(page, server, examples):
    open_list(page, server)

    figures = dict(
        zip(page.locator(".kpi dt").all_inner_texts(), page.locator(".kpi .kpi-value").all_inner_texts(), strict=True)
    )

    states = list(examples.states.values())
    assert figures["Files"] == str(len(states))
    assert figures["Processed"] == str(states.count("processed"))
    assert figures["Quarantined"] == str(states.count("quarantined"))
    rate = states.count("quarantined") / (states.count("quarantined") + states.count("processed"))
    assert figures["Quarantine rate"] == f"{round(rate * 1000) / 10:g}%"
    for chart in ("chart-hourly", "chart-rate", "chart-reasons", "chart-latency"):
        expect(page.locator(f"#{chart}")).to_have_attribute("aria-label", re.compile(r"\w"))
    expect(page.locator("#chart-reasons")).to_have_attribute("aria-label", re.compile("csv_ragged_rows"))
    page.get_by_text("Show the numbers").nth(2).click()
    expect(page.locator("#chart-reasons-data")).to_contain_text("type_mismatch")


def test_the_period_is_kept_in_the_url(page, server):
    open_list(page, server)

    page.get_by_label("Period", exact=True).select_option("168")

    expect(page).to_have_url(re.compile(r"\?hours=168$"))
    expect(page.locator("#stats-note")).to_contain_text("last 7 days")


def test_a_new_file_appears_and_is_announced_while_the_page_is_open(page, stack, partner):
    quiet = partner("dash-live")  # a partner of its own: the other tests' lists stay as sent
    with client_for(stack, quiet) as client, dashboard(client, refresh_seconds=1) as server:
        open_list(page, server)
        expect(page.locator("#files-table td.empty")).to_be_visible()

        file_id = stack.upload(b"id,name\n1,late\n", filename="late-arrival.csv", partner=quiet)["file_id"]

        row = page.locator(f"tr[data-file-id='{file_id}']")
        expect(row.locator(".badge")).to_have_text("processed", timeout=20_000)
        expect(page.locator("#kpis")).to_contain_text("Processed1")
        wait_announced(page, "Files list: 1 new file.")
