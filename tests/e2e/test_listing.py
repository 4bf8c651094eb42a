"""``GET /files`` lists the caller's own files, newest first, in pages."""

from __future__ import annotations

import time
from dataclasses import dataclass

import pytest

pytestmark = pytest.mark.e2e


@dataclass(frozen=True)
class Listing:
    partner: str
    processed: list[str]  # oldest first
    quarantined: str  # the newest file


@pytest.fixture(scope="module")
def listing(stack) -> Listing:
    """A partner of its own with five processed files then one quarantined file.

    Made once for the module, so that every test sees the same listing whichever runs first.
    """
    partner = "lister"
    stack.onboard(partner)
    processed = [stack.upload(b"a\n1\n", partner=partner)["file_id"] for _ in range(5)]
    quarantined = stack.upload(b"", partner=partner)["file_id"]
    states = [stack.wait_final(file_id, partner=partner)["state"] for file_id in [*processed, quarantined]]
    assert states == ["processed"] * 5 + ["quarantined"]
    return Listing(partner, processed, quarantined)


@pytest.fixture(scope="module")
def searcher(stack) -> str:
    """Another partner of its own, for the tests that add files as they go."""
    stack.onboard("searcher")
    return "searcher"


def _all_pages(stack, partner: str, **params) -> list[list[str]]:
    pages, cursor = [], None
    while True:
        query = {**params, **({"cursor": cursor} if cursor else {})}
        answer = stack.api("GET", "/files", partner, params=query)
        assert answer.status_code == 200, answer.text
        body = answer.json()
        pages.append([f["file_id"] for f in body["files"]])
        cursor = body["next_cursor"]
        if not cursor:
            return pages


def test_listing_is_newest_first_across_pages(stack, listing):
    pages = _all_pages(stack, listing.partner, limit=2)

    assert [len(p) for p in pages if p] == [2, 2, 2]
    assert [i for p in pages for i in p] == [listing.quarantined, *reversed(listing.processed)]


def test_listing_filters_by_state(stack, listing):
    quarantined = [i for p in _all_pages(stack, listing.partner, state="quarantined") for i in p]
    processed = [i for p in _all_pages(stack, listing.partner, state="processed", limit=3) for i in p]

    assert quarantined == [listing.quarantined]
    assert processed == list(reversed(listing.processed))


def test_listing_never_shows_another_partners_files(stack, upload, listing):
    other = upload(b"a\n1\n", partner="globex")["file_id"]

    listed = [i for p in _all_pages(stack, listing.partner) for i in p]

    assert other not in listed


def test_a_cursor_cannot_be_replayed_by_another_partner(stack, listing):
    cursor = stack.api("GET", "/files", listing.partner, params={"limit": 1}).json()["next_cursor"]
    assert cursor

    answer = stack.api("GET", "/files", "globex", params={"cursor": cursor})

    assert answer.status_code == 400
    assert answer.json()["error"]["code"] == "invalid_cursor"


def test_a_cursor_cannot_be_replayed_with_another_state_filter(stack, listing):
    params = {"limit": 1, "state": "processed"}
    cursor = stack.api("GET", "/files", listing.partner, params=params).json()["next_cursor"]
    assert cursor

    answer = stack.api("GET", "/files", listing.partner, params={"cursor": cursor, "state": "quarantined"})

    assert answer.status_code == 400
    assert answer.json()["error"]["code"] == "invalid_cursor"


def test_files_by_id_are_exactly_the_callers_own(stack, upload, searcher):
    mine = [upload(b"a\n1\n", partner=searcher)["file_id"] for _ in range(2)]
    theirs = upload(b"a\n1\n", partner="globex")["file_id"]
    unknown = "f_01jdq3w6x1f8m3zq1v6k7c2n4r"

    answer = stack.api("GET", "/files", searcher, params={"ids": ",".join([mine[1], theirs, unknown, mine[0]])})

    assert answer.status_code == 200, answer.text
    assert [f["file_id"] for f in answer.json()["files"]] == [mine[1], mine[0]]
    assert answer.json()["next_cursor"] is None


def test_listing_between_two_times(stack, upload, searcher):
    before = upload(b"a\n1\n", partner=searcher)["file_id"]
    record = stack.api("GET", f"/files/{before}", searcher).json()
    time.sleep(0.01)
    window = [upload(b"a\n1\n", partner=searcher)["file_id"] for _ in range(3)]
    last = stack.api("GET", f"/files/{window[-1]}", searcher).json()

    # created_after is inclusive, created_before exclusive: [first of window, last of window).
    first = stack.api("GET", f"/files/{window[0]}", searcher).json()
    params = {"created_after": first["created_at"], "created_before": last["created_at"], "limit": 1}
    listed = [i for p in _all_pages(stack, searcher, **params) for i in p]

    assert listed == list(reversed(window[:-1]))
    assert before not in listed and record["created_at"] < first["created_at"]


def test_listing_by_a_piece_of_the_filename_ignores_case(stack, upload, searcher):
    wanted = upload(b"a\n1\n", partner=searcher, filename="CT-Scan-2026.csv")["file_id"]
    upload(b"a\n1\n", partner=searcher, filename="vitals.csv")

    found = [i for p in _all_pages(stack, searcher, q="scan-20", limit=2) for i in p]

    assert found == [wanted]


def test_a_cursor_is_bound_to_the_filters_it_was_made_for(stack, upload, searcher):
    upload(b"a\n1\n", partner=searcher, filename="bound-1.csv")
    upload(b"a\n1\n", partner=searcher, filename="bound-2.csv")
    cursor = stack.api("GET", "/files", searcher, params={"q": "bound", "limit": 1}).json()["next_cursor"]
    assert cursor

    for params in ({}, {"q": "other"}, {"q": "bound", "created_after": "2020-01-01T00:00:00Z"}):
        answer = stack.api("GET", "/files", searcher, params={**params, "cursor": cursor})
        assert answer.status_code == 400 and answer.json()["error"]["code"] == "invalid_cursor", params
    assert stack.api("GET", "/files", searcher, params={"q": "BOUND", "cursor": cursor}).status_code == 200
