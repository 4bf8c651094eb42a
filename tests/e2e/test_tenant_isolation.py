"""One partner can never read, list or overwrite another's files, by either way in.

Each test runs on the API-key API and on the IAM API. The partner is whoever the gateway
verified (the key, or the SigV4 signer); nothing else the client sends, a hostile
filename, metadata, header or cursor, moves anything outside the caller's prefix.
"""

from __future__ import annotations

import hashlib
from typing import Any
from urllib.parse import urlencode, urlsplit

import pytest
import requests
from support.signing import sign

from scalper_backend.listing import ListQuery, encode_cursor

pytestmark = pytest.mark.e2e

MODES = ["api_key", "iam"]
BODY = b"patient_id,name\n1,Ada\n"
SHA256 = hashlib.sha256(BODY).hexdigest()
# Each declaration makes a new file (the tests send the same bytes again and again).
DECLARED = {
    "filename": "a.csv",
    "size": len(BODY),
    "content_type": "text/csv",
    "sha256": SHA256,
    "allow_duplicate": True,
}
MIB = 1024 * 1024
# Every route of template.yaml, with the test below that proves it isolated.
COVERED = {
    ("POST", "/uploads"): "test_an_upload_lands_under_the_callers_prefix_whatever_it_declares",
    ("GET", "/files/{file_id}"): "test_another_partners_file_is_not_found",
    ("GET", "/files"): "test_a_listing_holds_only_the_callers_files",
    ("POST", "/uploads/{file_id}/parts"): "test_another_partners_pending_upload_cannot_be_touched",
    ("POST", "/uploads/{file_id}/complete"): "test_another_partners_pending_upload_cannot_be_touched",
    ("DELETE", "/uploads/{file_id}"): "test_another_partners_pending_upload_cannot_be_touched",
    ("GET", "/rules"): "test_a_partner_gets_its_own_rules_never_anothers",
    ("POST", "/files/{file_id}/reprocess"): "test_another_partners_quarantined_file_cannot_be_reprocessed",
}
# The e2e stack's rules (tests/e2e/rules/partners.toml): a profile per partner.
PROFILES = {
    "acme": "default",
    "clinic": "clinic-records",
    "radiology": "radiology",
    "reports": "scan-reports",
}


def call(stack, mode: str, method: str, path: str, partner: str, *, json: Any = None, params=None, headers=None):
    """One request as ``partner``, by the API key or signed with the partner's IAM user."""
    headers = dict(headers or {})
    if mode == "api_key":
        return stack.api(method, path, partner, json=json, params=params, headers=headers)
    query = f"?{urlencode(params)}" if params else ""
    return stack.iam_api(method, path + query, partner, json_body=json, headers=headers)


def _upload(stack, mode: str, partner: str, **declared: Any) -> dict[str, Any]:
    answer = call(stack, mode, "POST", "/uploads", partner, json={**DECLARED, **declared})
    assert answer.status_code == 201, answer.text
    ticket = answer.json()
    headers = {**ticket["upload"]["headers"], "Content-Length": str(len(BODY))}
    assert requests.put(ticket["upload"]["url"], data=BODY, headers=headers, timeout=10).status_code == 200
    return ticket  # type: ignore[no-any-return]


def _ids(stack, mode: str, partner: str, *, until: str = "", **params: str) -> list[str]:
    """The ids listed, page by page; with ``until`` (a ``created_at``), only down to files
    created before it: the listing is newest first, so nothing created at ``until`` or later
    can come after them."""
    ids, cursor = [], None
    while True:
        page = call(stack, mode, "GET", "/files", partner, params={**params, **({"cursor": cursor} if cursor else {})})
        assert page.status_code == 200, page.text
        files = page.json()["files"]
        ids += [f["file_id"] for f in files]
        cursor = page.json()["next_cursor"]
        if not cursor or (until and files and files[-1]["created_at"] < until):
            return ids


@pytest.fixture(scope="module")
def globex_file(stack) -> str:
    """A processed file of globex, the partner every test attacks as acme."""
    ticket = _upload(stack, "api_key", "globex", filename="globex-secret.csv")
    assert stack.wait_final(ticket["file_id"], partner="globex")["state"] == "processed"
    return ticket["file_id"]  # type: ignore[no-any-return]


def test_every_route_is_covered_here(stack):
    routes = {(r.method, r.path) for api in stack.template.apis() for r in api.routes}

    assert routes == set(COVERED), "a new route needs its isolation test in this module"
    assert all(name in globals() for name in COVERED.values())


@pytest.mark.parametrize("mode", MODES)
def test_another_partners_file_is_not_found(stack, mode, globex_file):
    refused = call(stack, mode, "GET", f"/files/{globex_file}", "acme")

    assert (refused.status_code, refused.json()["error"]["code"]) == (404, "file_not_found")
    assert call(stack, mode, "GET", f"/files/{globex_file}", "globex").status_code == 200


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("params", [{}, {"state": "processed"}, {"limit": "1"}, {"q": "secret"}, {"ids": "{both}"}])
def test_a_listing_holds_only_the_callers_files(stack, mode, globex_file, params):
    mine = _upload(stack, mode, "acme", filename="acme-secret.csv")["file_id"]
    params = {name: value.format(both=f"{globex_file},{mine}") for name, value in params.items()}

    # acme holds every file the other e2e modules sent as acme: a page of one file at a time
    # goes only as far back as globex's file, the one that must not appear.
    created = stack.api("GET", f"/files/{globex_file}", "globex").json()["created_at"]
    listed = _ids(stack, mode, "acme", until=created, **params)

    assert globex_file not in listed
    if "state" not in params and "limit" not in params:
        assert mine in listed


@pytest.fixture(scope="module")
def globex_quarantined(stack) -> str:
    """A quarantined file of globex, which only globex may send through again."""
    empty_row = b"a\n\n"  # a header and no rows: csv_no_rows
    declared = {**DECLARED, "size": len(empty_row), "sha256": hashlib.sha256(empty_row).hexdigest()}
    answer = stack.api("POST", "/uploads", "globex", json=declared)
    assert answer.status_code == 201, answer.text
    ticket = answer.json()
    put = requests.put(ticket["upload"]["url"], data=empty_row, headers=ticket["upload"]["headers"], timeout=10)
    assert put.status_code == 200, put.text
    assert stack.wait_final(ticket["file_id"], partner="globex")["state"] == "quarantined"
    return ticket["file_id"]  # type: ignore[no-any-return]


@pytest.mark.parametrize("mode", MODES)
def test_another_partners_quarantined_file_cannot_be_reprocessed(stack, mode, globex_quarantined):
    refused = call(stack, mode, "POST", f"/files/{globex_quarantined}/reprocess", "acme")

    assert (refused.status_code, refused.json()["error"]["code"]) == (404, "file_not_found")
    victim = stack.api("GET", f"/files/{globex_quarantined}", "globex").json()
    assert victim["state"] == "quarantined" and victim["attempts"] == 1 and victim["history"][0]["attempt"] == 1


@pytest.fixture(scope="module")
def globex_pending(stack) -> str:
    """A multipart upload of globex's, declared and not yet sent."""
    plan = {
        "filename": "globex-scan.csv",
        "size": 6 * MIB,
        "content_type": "text/csv",
        "sha256": "a" * 64,
        "part_size": 5 * MIB,
        "parts": [{"part_number": 1, "sha256": "b" * 64}, {"part_number": 2, "sha256": "c" * 64}],
    }
    answer = stack.api("POST", "/uploads", "globex", json=plan)
    assert answer.status_code == 201, answer.text
    return answer.json()["file_id"]  # type: ignore[no-any-return]


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize(
    ("method", "path", "body"),
    [
        ("POST", "/uploads/{id}/parts", {"part_numbers": [1, 2]}),
        ("POST", "/uploads/{id}/complete", {"parts": [{"part_number": 1, "etag": '"x"'}]}),
        ("DELETE", "/uploads/{id}", None),
    ],
)
def test_another_partners_pending_upload_cannot_be_touched(stack, mode, globex_pending, method, path, body):
    refused = call(stack, mode, method, path.format(id=globex_pending), "acme", json=body)

    assert (refused.status_code, refused.json()["error"]["code"]) == (404, "file_not_found")
    assert stack.api("GET", f"/files/{globex_pending}", "globex").json()["state"] == "pending_upload"


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize(
    "declared",
    [
        pytest.param({"filename": "../globex/{victim}"}, id="filename path"),
        pytest.param({"filename": "uploads/globex/{victim}"}, id="filename key"),
        pytest.param({"filename": "{victim}"}, id="filename is the victim's id"),
        pytest.param({"metadata": {"partner_id": "globex", "key": "uploads/globex/{victim}"}}, id="metadata"),
    ],
)
def test_an_upload_lands_under_the_callers_prefix_whatever_it_declares(stack, mode, globex_file, declared):
    def aimed(value: Any) -> Any:
        if isinstance(value, dict):
            return {k: aimed(v) for k, v in value.items()}
        return value.format(victim=globex_file)

    hostile = {name: aimed(value) for name, value in declared.items()}
    before = _victim_objects(stack, globex_file)

    ticket = _upload(stack, mode, "acme", **hostile)

    assert urlsplit(ticket["upload"]["url"]).path.endswith(f"/uploads/acme/{ticket['file_id']}")
    record = stack.wait_final(ticket["file_id"], partner="acme")
    assert record["output"]["key"] == f"processed/acme/{ticket['file_id']}.jsonl"
    victim = stack.api("GET", f"/files/{globex_file}", "globex").json()
    assert victim["state"] == "processed" and victim["filename"] == "globex-secret.csv"
    assert _victim_objects(stack, globex_file) == before


def _victim_objects(stack, file_id: str) -> list[tuple[str, str, str]]:
    """Every version of the victim's input and output objects: none may change."""
    s3, found = stack.aws("s3"), []
    places = (("InputBucket", f"uploads/globex/{file_id}"), ("OutputBucket", f"processed/globex/{file_id}"))
    for bucket, prefix in places:
        listed = s3.list_object_versions(Bucket=stack.name(bucket), Prefix=prefix)
        found += [(v["Key"], v["VersionId"], v["ETag"]) for v in listed.get("Versions", [])]
    assert found
    return sorted(found)


def _forged_headers(stack, mode: str) -> dict[str, str]:
    """Everything a client could send to claim to be globex, but the credential itself."""
    headers = {
        "X-Forwarded-For": "10.0.0.99",
        "X-Amzn-Apigateway-Api-Id": "other",
        "X-Amz-User-Arn": "arn:aws:iam::123456789012:user/partner-globex",
        "X-Partner-Id": "globex",
        "X-Api-Key-Id": "globex",
    }
    if mode == "iam":
        headers["x-api-key"] = stack.keys["globex"]  # a key on the IAM API opens nothing
    else:
        _, signed = sign("GET", stack.endpoint + "/files", stack.iam_keys["globex"])
        headers.update({k: v for k, v in signed.items() if k.lower().startswith(("authorization", "x-amz-"))})
    return headers


@pytest.mark.parametrize("mode", MODES)
def test_forged_identity_headers_change_nothing(stack, mode, globex_file):
    headers = _forged_headers(stack, mode)

    listed = call(stack, mode, "GET", "/files", "acme", headers=headers)
    read = call(stack, mode, "GET", f"/files/{globex_file}", "acme", headers=headers)
    created = call(stack, mode, "POST", "/uploads", "acme", json=DECLARED, headers=headers)

    assert globex_file not in [f["file_id"] for f in listed.json()["files"]]
    assert read.status_code == 404
    assert f"/uploads/acme/{created.json()['file_id']}" in created.json()["upload"]["url"]


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("partner", PROFILES)
def test_a_partner_gets_its_own_rules_never_anothers(stack, mode, partner):
    for other in PROFILES.keys() - {partner}:
        claims = {"X-Partner-Id": other, "X-Amz-User-Arn": f"arn:aws:iam::123456789012:user/partner-{other}"}

        rules = call(stack, mode, "GET", "/rules", partner, headers=claims)

        assert rules.status_code == 200, rules.text
        assert rules.json()["profile"] == PROFILES[partner]
    # The declaration is judged by the same profile: radiology and reports take no CSV.
    declared = call(stack, mode, "POST", "/uploads", partner, json=DECLARED)
    if partner in {"acme", "clinic"}:
        assert declared.status_code == 201, declared.text
    else:
        assert (declared.status_code, declared.json()["error"]["code"]) == (415, "content_type_not_allowed")


@pytest.mark.parametrize("mode", MODES)
def test_another_partners_cursor_is_refused(stack, mode, globex_file):
    _upload(stack, "api_key", "globex")
    cursor = stack.api("GET", "/files", "globex", params={"limit": 1}).json()["next_cursor"]
    forged = encode_cursor(
        {"partner_id": "globex", "file_id": globex_file, "created_at": "2099-01-01T00:00:00.000000Z"}, ListQuery()
    )

    for attempt in (cursor, forged):
        refused = call(stack, mode, "GET", "/files", "acme", params={"cursor": attempt})
        assert (refused.status_code, refused.json()["error"]["code"]) == (400, "invalid_cursor")


@pytest.mark.parametrize("mode", MODES)
def test_a_partner_sees_the_same_files_by_either_way_in(stack, mode):
    ticket = _upload(stack, mode, "acme")

    for other_mode in MODES:
        assert call(stack, other_mode, "GET", f"/files/{ticket['file_id']}", "acme").status_code == 200
