"""The SDK with ``auth="iam"`` against the local IAM API, which verifies SigV4 with botocore.

The stack prints the IAM API's endpoint (``SCALPER_IAM_ENDPOINT``) and each partner's IAM
user's keys (``SCALPER_AWS_ACCESS_KEY_ID_<NAME>``...); the tests sign with acme's.
"""

from __future__ import annotations

import datetime as dt
import uuid
from pathlib import Path

import pytest
import requests
from requests.auth import AuthBase

from silent_scalper import Client, FileState, PermissionDeniedError

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(120)]


@pytest.fixture
def iam(stack, monkeypatch: pytest.MonkeyPatch):  # type: ignore[no-untyped-def]
    """The acme partner's IAM credentials in the standard variables, as a partner's machine has them."""
    keys = stack.iam_keys["acme"]
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", keys.access_key_id)
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", keys.secret_access_key)
    monkeypatch.delenv("AWS_SESSION_TOKEN", raising=False)
    return stack


def test_a_signed_upload_listing_and_wait_are_accepted(iam, tmp_path: Path) -> None:
    path = tmp_path / f"iam {uuid.uuid4().hex[:8]}.csv"  # a space: the query must be signed as sent
    path.write_text("id\n1\n")

    with Client(iam.iam_endpoint, auth="iam") as client:
        (result,) = client.upload_many([path])
        (final,) = client.wait_many([result.file_id], timeout=60)
        listed = list(client.list(q=path.name))

    assert final.state is FileState.PROCESSED
    assert [r.file_id for r in listed] == [result.file_id]
    # The same file, seen through the API-key API of the same partner.
    assert iam.api("GET", f"/files/{result.file_id}", "acme").json()["state"] == "processed"


def test_a_wrong_secret_is_refused(iam, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "wrong" * 8)

    with Client(iam.iam_endpoint, auth="iam") as client, pytest.raises(PermissionDeniedError) as caught:
        client.get("f_01jdq3w6x1f8m3zq1v6k7c2n4r")

    assert caught.value.code == "signature_invalid"


def test_a_request_changed_after_signing_is_refused(iam) -> None:
    class Tampering(AuthBase):
        """Signs with the SDK's signer, then changes the body on the way."""

        def __init__(self, signer: AuthBase) -> None:
            self.signer = signer

        def __call__(self, request: requests.PreparedRequest) -> requests.PreparedRequest:
            signed = self.signer(request)
            signed.prepare_body(data=b'{"part_numbers": [2]}', files=None)
            return signed

    with Client(iam.iam_endpoint, auth="iam") as honest:
        signer = honest._transport.auth
    with Client(iam.iam_endpoint, auth=Tampering(signer)) as client, pytest.raises(PermissionDeniedError) as caught:
        client.files.list_page(limit=1)

    assert caught.value.code == "signature_invalid"


def test_an_expired_signature_is_refused(iam, monkeypatch: pytest.MonkeyPatch) -> None:
    import aws_requests_auth.aws_auth as signing

    class TenMinutesAgo(dt.datetime):
        @classmethod
        def utcnow(cls) -> dt.datetime:  # type: ignore[override]
            return dt.datetime.now(dt.UTC).replace(tzinfo=None) - dt.timedelta(minutes=10)

    monkeypatch.setattr(signing.datetime, "datetime", TenMinutesAgo)

    with Client(iam.iam_endpoint, auth="iam", max_retries=0) as client, pytest.raises(PermissionDeniedError) as caught:
        client.files.list_page(limit=1)

    # API Gateway answers INVALID_SIGNATURE with "Signature expired: ..."; the SDK adds the likely cause.
    assert caught.value.code in {"signature_invalid", "signature_expired"}
    assert caught.value.message.startswith("Signature expired")
    assert "scalper doctor" in caught.value.message
