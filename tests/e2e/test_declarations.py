"""``POST /uploads`` and ``DELETE /uploads/{file_id}`` through the local stack: idempotency
keys, one file per partner for the same bytes and name, cancelling, and isolation."""

from __future__ import annotations

import hashlib
import json
import time
import uuid
from typing import Any

import pytest
import requests

from scalper_backend.api.schemas import UploadRequest

pytestmark = pytest.mark.e2e


def _declaration(body: bytes, **changes: Any) -> dict[str, Any]:
    # A unique name per test: the same bytes and name would be one file for the partner.
    name = changes.pop("filename", f"{uuid.uuid4().hex}.csv")
    sha256 = hashlib.sha256(body).hexdigest()
    return {"filename": name, "size": len(body), "content_type": "text/csv", "sha256": sha256, **changes}


def _declare(stack, declaration: dict[str, Any], partner: str = "acme", key: str | None = None) -> requests.Response:
    headers = {"Idempotency-Key": key} if key else {}
    return stack.api("POST", "/uploads", partner, json=declaration, headers=headers)


def _put(ticket: dict[str, Any], body: bytes) -> None:
    answer = requests.put(ticket["upload"]["url"], data=body, headers=ticket["upload"]["headers"], timeout=10)
    assert answer.status_code == 200, answer.text


def _error(response: requests.Response, status: int, code: str) -> dict[str, Any]:
    assert response.status_code == status, response.text
    error = response.json()["error"]
    assert error["code"] == code and error["message"] and error["request_id"]
    return error  # type: ignore[no-any-return]


# -- Idempotency-Key


def test_a_retried_declaration_with_its_key_gets_the_same_file(stack):
    declaration = _declaration(b"a\n1\n", allow_duplicate=True)
    key = f"nightly-{uuid.uuid4()}"

    first = _declare(stack, declaration, key=key)
    again = _declare(stack, declaration, key=key)

    assert first.status_code == again.status_code == 201
    assert "Idempotent-Replayed" not in first.headers and again.headers["Idempotent-Replayed"] == "true"
    assert again.json()["file_id"] == first.json()["file_id"]
    assert again.json()["upload"]["headers"] == first.json()["upload"]["headers"]


def test_a_replay_after_the_upload_says_where_the_file_is_with_nothing_to_send(stack):
    body, key = b"a\n1\n", str(uuid.uuid4())
    declaration = _declaration(body)
    first = _declare(stack, declaration, key=key).json()
    _put(first, body)
    stack.wait_final(first["file_id"])

    again = _declare(stack, declaration, key=key)

    assert again.status_code == 201 and again.headers["Idempotent-Replayed"] == "true"
    assert again.json() == {
        "file_id": first["file_id"],
        "state": "processed",
        "duplicate_of": None,
        "upload": None,
        "multipart": None,
        "expires_at": None,
    }


def test_a_key_reused_with_another_body_is_a_conflict(stack):
    key = str(uuid.uuid4())
    _declare(stack, _declaration(b"a\n1\n"), key=key)

    _error(_declare(stack, _declaration(b"a\n2\n"), key=key), 409, "idempotency_key_reused")


def test_the_same_key_from_another_partner_is_another_request(stack):
    key, declaration = str(uuid.uuid4()), _declaration(b"a\n1\n")

    acme = _declare(stack, declaration, "acme", key=key)
    globex = _declare(stack, declaration, "globex", key=key)

    assert acme.status_code == globex.status_code == 201
    assert "Idempotent-Replayed" not in globex.headers
    assert globex.json()["file_id"] != acme.json()["file_id"]
    assert stack.api("GET", f"/files/{globex.json()['file_id']}", "globex").status_code == 200


def test_a_key_whose_request_is_in_progress_asks_to_retry(stack):
    key, declaration = str(uuid.uuid4()), _declaration(b"a\n1\n")
    _hold_key_in_progress(stack, "acme", key, declaration)

    answer = _declare(stack, declaration, key=key)

    _error(answer, 409, "request_in_progress")
    assert answer.headers["Retry-After"] == "1"


def _hold_key_in_progress(stack, partner: str, key: str, declaration: dict[str, Any]) -> None:
    """What Powertools writes while a first request with this key runs (its item layout:
    the id hashes [partner, key] under our prefix, the validation hash the parsed body)."""

    def digest(value: Any) -> str:
        return hashlib.sha256(json.dumps(value, sort_keys=True).encode()).hexdigest()

    body = UploadRequest.model_validate(declaration).model_dump(mode="json")
    now = time.time()
    stack.aws("dynamodb").put_item(
        TableName=stack.name("IdempotencyTable"),
        Item={
            "id": {"S": f"POST /uploads#{digest([partner, key])}"},
            "status": {"S": "INPROGRESS"},
            "expiration": {"N": str(int(now) + 3600)},
            "in_progress_expiration": {"N": str(int((now + 60) * 1000))},
            "validation": {"S": digest(body)},
        },
    )


@pytest.mark.parametrize("key", ["", "has space", "x" * 256, "naïve"])
def test_a_malformed_idempotency_key_is_refused(stack, key):
    answer = stack.api("POST", "/uploads", json=_declaration(b"a\n1\n"), headers={"Idempotency-Key": key})

    assert _error(answer, 400, "invalid_request")["message"].startswith("Idempotency-Key")


# -- one file per partner for the same bytes and name


def test_the_same_file_declared_again_is_the_existing_file(stack):
    body = b"a\n1\n"
    declaration = _declaration(body)
    first = _declare(stack, declaration).json()

    pending = _declare(stack, declaration)
    assert pending.status_code == 201 and pending.json()["file_id"] == first["file_id"]
    assert pending.json()["duplicate_of"] is None and pending.json()["upload"] is not None

    _put(pending.json(), body)
    stack.wait_final(first["file_id"])
    done = _declare(stack, declaration)

    assert done.status_code == 200
    assert done.json() == {
        "file_id": first["file_id"],
        "state": "processed",
        "duplicate_of": first["file_id"],
        "upload": None,
        "multipart": None,
        "expires_at": None,
    }


def test_allow_duplicate_makes_a_new_file(stack):
    declaration = _declaration(b"a\n1\n")
    first = _declare(stack, declaration).json()

    forced = _declare(stack, {**declaration, "allow_duplicate": True})

    assert forced.status_code == 201 and forced.json()["file_id"] != first["file_id"]


def test_another_partners_identical_file_is_never_answered(stack):
    declaration = _declaration(b"a\n1\n")
    theirs = _declare(stack, declaration, "globex").json()

    mine = _declare(stack, declaration, "acme")

    assert mine.status_code == 201 and mine.json()["file_id"] != theirs["file_id"]
    assert mine.json()["duplicate_of"] is None


# -- cancelling


def test_a_cancelled_upload_is_final_and_its_file_can_be_declared_anew(stack):
    declaration = _declaration(b"a\n1\n")
    ticket = _declare(stack, declaration).json()

    cancelled = stack.api("DELETE", f"/uploads/{ticket['file_id']}")
    again = stack.api("DELETE", f"/uploads/{ticket['file_id']}")
    anew = _declare(stack, declaration)

    assert cancelled.status_code == again.status_code == 200
    assert cancelled.json()["state"] == again.json()["state"] == "cancelled"
    assert cancelled.json()["finished_at"]
    assert stack.api("GET", f"/files/{ticket['file_id']}").json()["state"] == "cancelled"
    assert anew.status_code == 201 and anew.json()["file_id"] != ticket["file_id"]


def test_bytes_sent_after_a_cancel_are_not_kept(stack):
    body = b"a\n1\n"
    ticket = _declare(stack, _declaration(body)).json()
    stack.api("DELETE", f"/uploads/{ticket['file_id']}")

    _put(ticket, body)  # the URL is still valid for a few minutes
    stack.wait_queue_empty("UploadEventsQueue")

    assert stack.api("GET", f"/files/{ticket['file_id']}").json()["state"] == "cancelled"
    key = f"uploads/acme/{ticket['file_id']}"
    assert stack.aws("s3").list_objects_v2(Bucket=stack.name("InputBucket"), Prefix=key).get("KeyCount", 0) == 0


def test_a_processed_file_cannot_be_cancelled(stack, upload):
    ticket = upload(b"a\n1\n")
    stack.wait_final(ticket["file_id"])

    _error(stack.api("DELETE", f"/uploads/{ticket['file_id']}"), 409, "invalid_state")


def test_another_partners_upload_cannot_be_cancelled(stack):
    theirs = _declare(stack, _declaration(b"a\n1\n"), "globex").json()

    _error(stack.api("DELETE", f"/uploads/{theirs['file_id']}", "acme"), 404, "file_not_found")
    _error(stack.api("DELETE", "/uploads/f_01jdq3w6x1f8m3zq1v6k7c2n4r"), 404, "file_not_found")
    _error(stack.api("DELETE", "/uploads/not-an-id"), 404, "file_not_found")
    assert stack.api("GET", f"/files/{theirs['file_id']}", "globex").json()["state"] == "pending_upload"
