"""``GET /files`` lists the caller's own files, newest first, in pages."""

from __future__ import annotations

import time

import pytest

pytestmark = pytest.mark.e2e


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


@pytest.fixture(scope="module")
def fresh_partner(stack):
    """A partner of its own, so the listing holds only this module's files."""

    apigateway = stack.aws("apigateway")
    dynamodb = stack.aws("dynamodb")
    key = apigateway.create_api_key(name="partner-lister", enabled=True, value="l" * 40)
    plan = apigateway.get_usage_plans()["items"][0]["id"]
    apigateway.create_usage_plan_key(usagePlanId=plan, keyId=key["id"], keyType="API_KEY")
    dynamodb.put_item(
        TableName=stack.name("PartnersTable"),
        Item={"principal": {"S": f"apikey:{key['id']}"}, "partner_id": {"S": "lister"}},
    )
    stack.keys["lister"] = "l" * 40
    return "lister"


def test_listing_is_newest_first_across_pages(stack, upload, fresh_partner):
    ids = [upload(b"a\n1\n", partner=fresh_partner)["file_id"] for _ in range(5)]
    for file_id in ids:
        stack.wait_final(file_id, partner=fresh_partner)

    pages = _all_pages(stack, fresh_partner, limit=2)

    assert [len(p) for p in pages if p] == [2, 2, 1]
    assert [i for p in pages for i in p] == list(reversed(ids))


def test_listing_filters_by_state(stack, upload, fresh_partner):
    bad = upload(b"", partner=fresh_partner)["file_id"]
    stack.wait_final(bad, partner=fresh_partner)

    quarantined = [i for p in _all_pages(stack, fresh_partner, state="quarantined") for i in p]
    processed = [i for p in _all_pages(stack, fresh_partner, state="processed", limit=3) for i in p]

    assert quarantined == [bad]
    assert bad not in processed and len(processed) >= 5


def test_listing_never_shows_another_partners_files(stack, upload, fresh_partner):
    other = upload(b"a\n1\n", partner="globex")["file_id"]

    listed = [i for p in _all_pages(stack, fresh_partner) for i in p]

    assert other not in listed


def test_a_cursor_cannot_be_replayed_by_another_partner(stack, upload, fresh_partner):
    cursor = stack.api("GET", "/files", fresh_partner, params={"limit": 1}).json()["next_cursor"]
    assert cursor

    answer = stack.api("GET", "/files", "globex", params={"cursor": cursor})

    assert answer.status_code == 400
    assert answer.json()["error"]["code"] == "invalid_cursor"


def test_files_by_id_are_exactly_the_callers_own(stack, upload, fresh_partner):
    mine = [upload(b"a\n1\n", partner=fresh_partner)["file_id"] for _ in range(2)]
    theirs = upload(b"a\n1\n", partner="globex")["file_id"]
    unknown = "f_01jdq3w6x1f8m3zq1v6k7c2n4r"

    answer = stack.api("GET", "/files", fresh_partner, params={"ids": ",".join([mine[1], theirs, unknown, mine[0]])})

    assert answer.status_code == 200, answer.text
    assert [f["file_id"] for f in answer.json()["files"]] == [mine[1], mine[0]]
    assert answer.json()["next_cursor"] is None


def test_listing_between_two_times(stack, upload, fresh_partner):
    before = upload(b"a\n1\n", partner=fresh_partner)["file_id"]
    record = stack.api("GET", f"/files/{before}", fresh_partner).json()
    time.sleep(0.01)
    window = [upload(b"a\n1\n", partner=fresh_partner)["file_id"] for _ in range(3)]
    last = stack.api("GET", f"/files/{window[-1]}", fresh_partner).json()

    # created_after is inclusive, created_before exclusive: [first of window, last of window).
    first = stack.api("GET", f"/files/{window[0]}", fresh_partner).json()
    params = {"created_after": first["created_at"], "created_before": last["created_at"], "limit": 1}
    listed = [i for p in _all_pages(stack, fresh_partner, **params) for i in p]

    assert listed == list(reversed(window[:-1]))
    assert before not in listed and record["created_at"] < first["created_at"]


def test_listing_by_a_piece_of_the_filename_ignores_case(stack, upload, fresh_partner):
    wanted = upload(b"a\n1\n", partner=fresh_partner, filename="CT-Scan-2026.csv")["file_id"]
    upload(b"a\n1\n", partner=fresh_partner, filename="vitals.csv")

    found = [i for p in _all_pages(stack, fresh_partner, q="scan-20", limit=2) for i in p]

    assert found == [wanted]


def test_a_cursor_is_bound_to_the_filters_it_was_made_for(stack, upload, fresh_partner):
    upload(b"a\n1\n", partner=fresh_partner, filename="bound-1.csv")
    upload(b"a\n1\n", partner=fresh_partner, filename="bound-2.csv")
    cursor = stack.api("GET", "/files", fresh_partner, params={"q": "bound", "limit": 1}).json()["next_cursor"]
    assert cursor

    for params in ({}, {"q": "other"}, {"q": "bound", "created_after": "2020-01-01T00:00:00Z"}):
        answer = stack.api("GET", "/files", fresh_partner, params={**params, "cursor": cursor})
        assert answer.status_code == 400 and answer.json()["error"]["code"] == "invalid_cursor", params
    assert stack.api("GET", "/files", fresh_partner, params={"q": "BOUND", "cursor": cursor}).status_code == 200
