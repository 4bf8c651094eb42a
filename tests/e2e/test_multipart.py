"""Multipart uploads through the local stack: plan, part URLs, resume, complete, cancel.

Parts travel over loopback to moto, which, like S3, refuses to complete an upload whose
parts (but the last) are under 5 MiB, so the real two-part test sends 5 MiB.
"""

from __future__ import annotations

import hashlib
import uuid
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
import requests

pytestmark = pytest.mark.e2e

MIB = 1024 * 1024
PART_SIZE = 5 * MIB
# A valid CSV split at the part size: a header, then rows of 4 bytes.
FIRST = b"a,b\n" + b"1,2\n" * (PART_SIZE // 4 - 1)
SECOND = b"3,4\n" * 1000


def _plan(parts: list[bytes], *, declared: list[bytes] | None = None, **changes: Any) -> dict[str, Any]:
    """A multipart declaration of ``parts`` (``declared``: the checksums claimed, if they differ)."""
    whole = b"".join(parts)
    claimed = declared or parts
    return {
        "filename": f"{uuid.uuid4().hex}.csv",
        "size": len(whole),
        "content_type": "text/csv",
        "sha256": hashlib.sha256(b"".join(claimed)).hexdigest(),
        "part_size": PART_SIZE,
        "parts": [{"part_number": n, "sha256": hashlib.sha256(p).hexdigest()} for n, p in enumerate(claimed, 1)],
        **changes,
    }


def _declare(stack, plan: dict[str, Any], partner: str = "acme") -> dict[str, Any]:
    answer = stack.api("POST", "/uploads", partner, json=plan)
    assert answer.status_code == 201, answer.text
    return answer.json()  # type: ignore[no-any-return]


def _send(target: dict[str, Any], body: bytes) -> requests.Response:
    return requests.put(target["url"], data=body, headers=target["headers"], timeout=30)


def _complete(stack, file_id: str, etags: list[str], partner: str = "acme") -> requests.Response:
    parts = [{"part_number": n, "etag": etag} for n, etag in enumerate(etags, 1)]
    return stack.api("POST", f"/uploads/{file_id}/complete", partner, json={"parts": parts})


def _error(response: requests.Response, status: int, code: str) -> None:
    assert response.status_code == status, response.text
    assert response.json()["error"]["code"] == code


def test_a_two_part_upload_ends_processed_with_the_files_checksum(stack):
    ticket = _declare(stack, _plan([FIRST, SECOND]))
    plan = ticket["multipart"]
    assert ticket["upload"] is None and plan["part_size"] == PART_SIZE
    assert [p["headers"]["Content-Length"] for p in plan["parts"]] == [str(len(FIRST)), str(len(SECOND))]

    etags = [_send(target, part).headers["ETag"] for target, part in zip(plan["parts"], (FIRST, SECOND), strict=True)]
    done = _complete(stack, ticket["file_id"], etags)

    assert done.status_code == 200, done.text
    assert done.json()["file_id"] == ticket["file_id"]
    assert done.json()["state"] in {"pending_upload", "processing", "processed"}  # processing may be quick
    record = stack.wait_final(ticket["file_id"])
    assert record["state"] == "processed", record
    assert record["sha256"] == hashlib.sha256(FIRST + SECOND).hexdigest() and record["size"] == len(FIRST + SECOND)
    assert record["details"]["rows"] == len(FIRST + SECOND) // 4 - 1
    assert _complete(stack, ticket["file_id"], etags).json()["state"] == "processed"  # completing again is harmless


def test_a_part_whose_bytes_differ_from_its_declaration_never_ends_processed(stack):
    tampered = b"9,9\n" + SECOND[4:]  # same length, other bytes than declared
    ticket = _declare(stack, _plan([FIRST, tampered], declared=[FIRST, SECOND]))
    targets = ticket["multipart"]["parts"]

    sent = [_send(targets[0], FIRST), _send(targets[1], tampered)]
    if sent[1].status_code != 200:
        # S3 (or a verifying endpoint) refuses a part whose bytes do not match its signed
        # checksum; the upload then cannot complete.
        _error(_complete(stack, ticket["file_id"], [sent[0].headers["ETag"], '"refused"']), 400, "upload_incomplete")
        return
    # moto stores it; the processor's check of the whole file's SHA-256 catches it.
    assert _complete(stack, ticket["file_id"], [r.headers["ETag"] for r in sent]).status_code == 200
    record = stack.wait_final(ticket["file_id"])
    assert record["state"] == "quarantined"
    assert "checksum_mismatch" in [r["code"] for r in record["reasons"]]


def test_part_urls_are_presigned_again_for_a_resume(stack):
    body = b"a,b\n1,2\n"
    ticket = _declare(stack, _plan([body]))

    again = stack.api("POST", f"/uploads/{ticket['file_id']}/parts", json={"part_numbers": [1]})

    assert again.status_code == 200, again.text
    (target,) = again.json()["multipart"]["parts"]
    assert target["part_number"] == 1 and again.json()["expires_at"]
    etag = _send(target, body).headers["ETag"]
    assert _complete(stack, ticket["file_id"], [etag]).status_code == 200
    assert stack.wait_final(ticket["file_id"])["state"] == "processed"


def test_declaring_a_pending_multipart_file_again_resumes_the_same_upload(stack):
    plan = _plan([b"a,b\n1,2\n"])
    first = _declare(stack, plan)

    again = _declare(stack, plan)

    def upload_id(ticket: dict[str, Any]) -> list[str]:
        return parse_qs(urlsplit(ticket["multipart"]["parts"][0]["url"]).query)["uploadId"]

    assert again["file_id"] == first["file_id"] and upload_id(again) == upload_id(first)


def test_completing_with_a_missing_or_unknown_part_is_incomplete(stack):
    ticket = _declare(stack, _plan([FIRST, SECOND]))

    _error(_complete(stack, ticket["file_id"], ['"a"']), 400, "upload_incomplete")  # part 2 not listed
    _error(_complete(stack, ticket["file_id"], ['"a"', '"b"']), 400, "upload_incomplete")  # nothing uploaded
    assert stack.api("GET", f"/files/{ticket['file_id']}").json()["state"] == "pending_upload"


def test_parts_beyond_the_upload_are_a_bad_request(stack):
    ticket = _declare(stack, _plan([b"a,b\n1,2\n"]))

    _error(stack.api("POST", f"/uploads/{ticket['file_id']}/parts", json={"part_numbers": [2]}), 400, "invalid_request")
    _error(stack.api("POST", f"/uploads/{ticket['file_id']}/parts", json={"part_numbers": []}), 400, "invalid_request")


def test_a_single_put_file_has_no_parts_to_presign_or_complete(stack):
    ticket = stack.api("POST", "/uploads", json={**_plan([b"a,b\n1,2\n"]), "parts": None, "part_size": None}).json()

    _error(stack.api("POST", f"/uploads/{ticket['file_id']}/parts", json={"part_numbers": [1]}), 409, "invalid_state")
    _error(_complete(stack, ticket["file_id"], ['"a"']), 409, "invalid_state")


def test_a_cancelled_multipart_upload_is_aborted_and_takes_no_more_parts(stack):
    ticket = _declare(stack, _plan([b"a,b\n1,2\n"]))

    cancelled = stack.api("DELETE", f"/uploads/{ticket['file_id']}")

    assert cancelled.status_code == 200 and cancelled.json()["state"] == "cancelled"
    uploads = stack.aws("s3").list_multipart_uploads(Bucket=stack.name("InputBucket")).get("Uploads", [])
    assert f"uploads/acme/{ticket['file_id']}" not in [u["Key"] for u in uploads]
    _error(stack.api("POST", f"/uploads/{ticket['file_id']}/parts", json={"part_numbers": [1]}), 409, "invalid_state")
    _error(_complete(stack, ticket["file_id"], ['"a"']), 409, "invalid_state")


def test_another_partners_multipart_upload_is_not_found(stack):
    theirs = _declare(stack, _plan([b"a,b\n1,2\n"]), "globex")
    file_id = theirs["file_id"]

    _error(stack.api("POST", f"/uploads/{file_id}/parts", "acme", json={"part_numbers": [1]}), 404, "file_not_found")
    _error(_complete(stack, file_id, ['"a"'], "acme"), 404, "file_not_found")
    _error(stack.api("DELETE", f"/uploads/{file_id}", "acme"), 404, "file_not_found")
    assert stack.api("GET", f"/files/{file_id}", "globex").json()["state"] == "pending_upload"


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"part_size": None}, "part_size"),
        ({"part_size": PART_SIZE - 1}, "part_size"),
        ({"parts": [{"part_number": 2, "sha256": "0" * 64}]}, "parts"),
        ({"parts": []}, "parts"),
        ({"size": 2 * PART_SIZE + 1}, "part_size"),
        ({"parts": None}, "part_size"),
    ],
)
def test_an_impossible_plan_is_named_in_the_error(stack, change, field):
    answer = stack.api("POST", "/uploads", json={**_plan([b"a,b\n1,2\n"]), **change})

    _error(answer, 400, "invalid_request")
    assert answer.json()["error"]["message"].startswith(field)
