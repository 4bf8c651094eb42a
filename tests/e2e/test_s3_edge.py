"""S3 requests in the local stack behave as on S3: through the verifying edge, an upload S3
would refuse is refused with S3's status and XML error code, and leaves nothing behind:
no object, no event, no change to the file's record."""

from __future__ import annotations

import base64
import hashlib
import io
import time
from typing import Any
from urllib.parse import urlsplit
from xml.etree import ElementTree

import boto3
import pytest
import requests
from botocore.config import Config
from botocore.credentials import Credentials
from botocore.exceptions import ClientError

from scalper_backend.adapters.clients import AwsClients
from scalper_backend.local.stack import LocalStack
from silent_scalper import Client, UploadError

pytestmark = pytest.mark.e2e

BODY = b"patient_id,name\n1,Ada\n2,Grace\n"


def s3_error(response: requests.Response, status: int, code: str) -> ElementTree.Element:
    """Assert S3's error document: the status, the code, a message and the request id."""
    assert response.status_code == status, response.text
    assert response.headers["Content-Type"] == "application/xml"
    root = ElementTree.fromstring(response.content)
    assert root.tag == "Error"
    assert root.findtext("Code") == code, response.text
    assert root.findtext("Message")
    assert root.findtext("RequestId") == response.headers["x-amz-request-id"]
    return root


def put(ticket: dict[str, Any], body: bytes = BODY, url: str | None = None, **headers: str) -> requests.Response:
    """PUT ``body`` to the ticket's URL with its headers, some replaced."""
    sent = {**ticket["upload"]["headers"], "Content-Length": str(len(body)), **headers}
    return requests.put(url or ticket["upload"]["url"], data=body, headers=sent, timeout=10)


def input_key(ticket: dict[str, Any], partner: str = "acme") -> str:
    return f"uploads/{partner}/{ticket['file_id']}"


def assert_nothing_happened(stack: Any, ticket: dict[str, Any], before: dict[str, Any]) -> None:
    """No object in the input bucket, no event processed, the record as it was."""
    with pytest.raises(ClientError) as missing:
        stack.aws("s3").head_object(Bucket=stack.name("InputBucket"), Key=input_key(ticket))
    assert missing.value.response["Error"]["Code"] == "404"
    stack.wait_queue_empty("UploadEventsQueue")  # an event, had one fired, is processed by now
    assert stack.api("GET", f"/files/{ticket['file_id']}").json() == before


@pytest.fixture
def declared(stack, declare) -> tuple[dict[str, Any], dict[str, Any]]:
    """A file declared through the API (``BODY``), and its record before any PUT."""
    ticket = declare(BODY)
    return ticket, stack.api("GET", f"/files/{ticket['file_id']}").json()


def test_presigned_urls_point_at_the_edge_in_path_style(stack, declared):
    ticket, _ = declared
    url = urlsplit(ticket["upload"]["url"])

    assert f"{url.scheme}://{url.netloc}" == stack.s3_endpoint != stack.aws_endpoint
    assert url.path == f"/{stack.name('InputBucket')}/{input_key(ticket)}"


def test_body_failing_its_signed_checksum_is_bad_digest_and_nothing_is_stored(stack, declared):
    ticket, before = declared

    refused = put(ticket, BODY.replace(b"Ada", b"Eve"))

    s3_error(refused, 400, "BadDigest")
    assert_nothing_happened(stack, ticket, before)
    # The same URL still takes the declared bytes: only the body was wrong.
    assert put(ticket).status_code == 200
    assert stack.wait_final(ticket["file_id"])["state"] == "processed"


def _other_checksum(body: bytes) -> str:
    return base64.b64encode(hashlib.sha256(body).digest()).decode()


@pytest.mark.parametrize(
    ("case", "body", "headers"),
    [
        ("another content type", BODY, {"Content-Type": "text/plain"}),
        ("a shorter body, honestly sent", BODY[:-6], {}),
        ("a longer body, honestly sent", BODY + b"3,Eve\n", {}),
        ("another body with its own checksum", BODY[::-1], {"x-amz-checksum-sha256": _other_checksum(BODY[::-1])}),
    ],
)
def test_put_differing_from_what_was_signed_is_signature_does_not_match(stack, declared, case, body, headers):
    ticket, before = declared

    s3_error(put(ticket, body, **headers), 403, "SignatureDoesNotMatch")

    assert_nothing_happened(stack, ticket, before)


def test_zeroed_signature_is_refused(stack, declared):
    ticket, before = declared
    url = ticket["upload"]["url"]
    zeroed = url[: url.index("X-Amz-Signature=") + len("X-Amz-Signature=")] + "0" * 64

    s3_error(put(ticket, url=zeroed), 403, "SignatureDoesNotMatch")

    assert_nothing_happened(stack, ticket, before)


def test_put_without_a_query_string_is_access_denied(stack, declared):
    ticket, before = declared

    s3_error(put(ticket, url=ticket["upload"]["url"].split("?")[0]), 403, "AccessDenied")

    assert_nothing_happened(stack, ticket, before)


def test_another_partners_output_cannot_be_overwritten_through_a_tampered_path(stack, declare, upload):
    """The issue's finding: an acme URL with its path changed to globex's processed output."""
    victim = stack.wait_final(upload(BODY, partner="globex")["file_id"], partner="globex")
    output = victim["output"]
    s3 = stack.aws("s3")
    original = s3.get_object(Bucket=output["bucket"], Key=output["key"])
    ticket = declare(b"hostile,rows\n1,2\n")
    before = stack.api("GET", f"/files/{ticket['file_id']}").json()
    url = ticket["upload"]["url"]
    own_path = urlsplit(url).path
    tampered = url.replace(own_path, f"/{output['bucket']}/{output['key']}")

    s3_error(put(ticket, b"hostile,rows\n1,2\n", url=tampered), 403, "SignatureDoesNotMatch")

    after = s3.get_object(Bucket=output["bucket"], Key=output["key"])
    assert after["ETag"] == original["ETag"] and after["LastModified"] == original["LastModified"]
    assert after["Body"].read() == original["Body"].read()
    assert_nothing_happened(stack, ticket, before)


def test_another_partners_upload_cannot_be_written_through_a_tampered_path(stack, declare):
    victim = declare(BODY, partner="globex")
    ticket = declare(BODY)
    url = ticket["upload"]["url"].replace(input_key(ticket), input_key(victim, "globex"))

    s3_error(put(ticket, url=url), 403, "SignatureDoesNotMatch")

    with pytest.raises(ClientError):
        stack.aws("s3").head_object(Bucket=stack.name("InputBucket"), Key=input_key(victim, "globex"))


class _ChangesOnceHashed(io.BytesIO):
    """A file whose bytes change (same length) after the SDK hashed it, before it is sent."""

    def __init__(self, before: bytes, after: bytes) -> None:
        super().__init__(before)
        self.name = "changing.csv"
        self._after: bytes | None = after

    def read(self, size: int | None = -1) -> bytes:
        data = super().read(size)
        if self._after is not None and data and self.tell() == len(self.getvalue()):  # read to the end: hashed
            self.getbuffer()[:] = self._after
            self._after = None
        return data


def test_sdk_upload_of_a_file_that_changed_after_hashing_is_bad_digest(stack):
    changing = _ChangesOnceHashed(BODY, BODY.replace(b"Ada", b"Eve"))

    with Client(endpoint=stack.endpoint, api_key=stack.keys["acme"]) as client:
        with pytest.raises(UploadError) as refused:
            client.upload(changing)
        declared = next(f for f in client.files.list() if f.filename == "changing.csv")  # newest first

    assert (refused.value.status_code, refused.value.code) == (400, "BadDigest")
    assert declared.state.value == "pending_upload"
    with pytest.raises(ClientError):
        stack.aws("s3").head_object(Bucket=stack.name("InputBucket"), Key=f"uploads/acme/{declared.file_id}")


def _presign_put(stack: Any, ticket: dict[str, Any], expires: int) -> str:
    """A URL for the ticket's key signed like the API's, with another lifetime."""
    headers = ticket["upload"]["headers"]
    return str(
        stack.s3().generate_presigned_url(
            "put_object",
            Params={
                "Bucket": stack.name("InputBucket"),
                "Key": input_key(ticket),
                "ContentType": headers["Content-Type"],
                "ContentLength": int(headers["Content-Length"]),
                "ChecksumSHA256": headers["x-amz-checksum-sha256"],
            },
            ExpiresIn=expires,
            HttpMethod="PUT",
        )
    )


def test_expired_presigned_url_is_refused(stack, declared):
    ticket, before = declared
    url = _presign_put(stack, ticket, expires=1)
    time.sleep(2.1)

    error = s3_error(put(ticket, url=url), 403, "AccessDenied")

    assert error.findtext("Message") == "Request has expired"
    assert error.findtext("X-Amz-Expires") == "1" and error.findtext("ServerTime")
    assert_nothing_happened(stack, ticket, before)


def test_presigned_url_valid_over_seven_days_is_refused(stack, declared):
    ticket, before = declared

    error = s3_error(
        put(ticket, url=_presign_put(stack, ticket, expires=604_801)), 400, "AuthorizationQueryParametersError"
    )

    assert "604800" in (error.findtext("Message") or "")
    assert_nothing_happened(stack, ticket, before)


def test_multipart_part_failing_its_checksum_is_refused(stack, declared):
    ticket, before = declared
    s3, bucket, key = stack.s3(), stack.name("InputBucket"), input_key(ticket)
    upload_id = s3.create_multipart_upload(Bucket=bucket, Key=key, ChecksumAlgorithm="SHA256")["UploadId"]
    part = b"x" * 1024
    url = s3.generate_presigned_url(
        "upload_part",
        Params={
            "Bucket": bucket,
            "Key": key,
            "UploadId": upload_id,
            "PartNumber": 1,
            "ContentLength": len(part),
            "ChecksumSHA256": _other_checksum(part),
        },
        ExpiresIn=600,
        HttpMethod="PUT",
    )
    try:
        refused = requests.put(
            url, data=b"y" * 1024, headers={"x-amz-checksum-sha256": _other_checksum(part)}, timeout=10
        )
        s3_error(refused, 400, "BadDigest")
        assert s3.list_parts(Bucket=bucket, Key=key, UploadId=upload_id).get("Parts", []) == []

        stored = requests.put(url, data=part, headers={"x-amz-checksum-sha256": _other_checksum(part)}, timeout=10)
        assert stored.status_code == 200, stored.text
        assert [p["PartNumber"] for p in s3.list_parts(Bucket=bucket, Key=key, UploadId=upload_id)["Parts"]] == [1]
    finally:
        s3.abort_multipart_upload(Bucket=bucket, Key=key, UploadId=upload_id)
    assert_nothing_happened(stack, ticket, before)


# -- requests signed in the Authorization header (what the handlers' boto3 sends)


def test_the_handlers_s3_client_goes_through_the_edge_in_path_style(template):
    with LocalStack(template.path, log_level="ERROR") as local:
        s3 = AwsClients.create().s3  # built exactly as a cold start builds it
        virtual = boto3.session.Session().client("s3", config=Config(s3={"addressing_style": "virtual"}))

        assert s3.meta.endpoint_url == local.s3_endpoint != local.aws_endpoint
        s3.put_object(Bucket=local.name_of("OutputBucket"), Key="wiring", Body=b"1")  # the edge took its signature
        # An IP endpoint keeps botocore on path style even when asked for virtual hosts,
        # and moto reads a bucket from the path when the Host is an IP.
        for client in (s3, virtual):
            url = client.generate_presigned_url("get_object", Params={"Bucket": "b", "Key": "k/1"})
            assert url.startswith(f"{local.s3_endpoint}/b/k/1?")


def test_request_without_any_signature_is_access_denied(stack):
    listing = requests.get(f"{stack.s3_endpoint}/{stack.name('OutputBucket')}?list-type=2", timeout=10)

    s3_error(listing, 403, "AccessDenied")


@pytest.mark.parametrize(
    ("credentials", "code"),
    [
        (Credentials("scalper-local", "a-guessed-secret"), "SignatureDoesNotMatch"),
        (Credentials("AKIAEXAMPLEOTHER", "scalper-local"), "InvalidAccessKeyId"),
    ],
)
def test_header_signed_request_with_other_credentials_is_refused(stack, declared, credentials, code):
    ticket, before = declared

    with pytest.raises(ClientError) as refused:
        stack.s3(credentials).put_object(Bucket=stack.name("InputBucket"), Key=input_key(ticket), Body=BODY)

    assert refused.value.response["Error"]["Code"] == code
    assert refused.value.response["ResponseMetadata"]["HTTPStatusCode"] == 403
    assert_nothing_happened(stack, ticket, before)


def test_header_signed_request_with_the_stacks_credentials_goes_through(stack):
    s3, bucket = stack.s3(), stack.name("OutputBucket")

    s3.put_object(Bucket=bucket, Key="edge-check/object", Body=b"kept", ContentMD5=_md5(b"kept"))

    assert s3.get_object(Bucket=bucket, Key="edge-check/object")["Body"].read() == b"kept"
    assert s3.head_object(Bucket=bucket, Key="edge-check/object")["ContentLength"] == 4
    s3.delete_object(Bucket=bucket, Key="edge-check/object")


def _md5(body: bytes) -> str:
    return base64.b64encode(hashlib.md5(body).digest()).decode()
