"""``GET /files`` lists the caller's own files, newest first, in pages."""

from __future__ import annotations

import secrets
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
    value = secrets.token_urlsafe(30)
    apigateway = stack.aws("apigateway")
    key = apigateway.create_api_key(name=f"partner-{partner}", enabled=True, value=value)
    plan = apigateway.get_usage_plans()["items"][0]["id"]
    apigateway.create_usage_plan_key(usagePlanId=plan, keyId=key["id"], keyType="API_KEY")
    stack.aws("dynamodb").put_item(
        TableName=stack.name("PartnersTable"),
        Item={"principal": {"S": f"apikey:{key['id']}"}, "partner_id": {"S": partner}},
    )
    stack.keys[partner] = value
    processed = [stack.upload(b"a\n1\n", partner=partner)["file_id"] for _ in range(5)]
    quarantined = stack.upload(b"", partner=partner)["file_id"]
    states = [stack.wait_final(file_id, partner=partner)["state"] for file_id in [*processed, quarantined]]
    assert states == ["processed"] * 5 + ["quarantined"]
    return Listing(partner, processed, quarantined)


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
