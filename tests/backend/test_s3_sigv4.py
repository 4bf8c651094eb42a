"""The S3 edge's signature checks: requests signed by botocore pass, anything S3 would
refuse is refused with S3's status and code."""

from __future__ import annotations

import base64
import hashlib
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import urlsplit

import boto3
import pytest
from botocore.auth import S3SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.compat import HAS_CRT
from botocore.config import Config
from botocore.credentials import Credentials

from scalper_backend.local.s3_refusals import S3Refusal
from scalper_backend.local.s3_sigv4 import S3Request, S3Verifier

CREDENTIALS = Credentials("scalper-local", "scalper-local")
REGION = "us-east-1"
ENDPOINT = "http://127.0.0.1:4510"
SIGNED_AT = datetime(2026, 11, 25, 9, 30, 0, tzinfo=UTC)
BODY = b"patient_id,name\n1,Ada\n"
CHECKSUM = base64.b64encode(hashlib.sha256(BODY).digest()).decode()
PUT_HEADERS = {"Content-Type": "text/csv", "Content-Length": str(len(BODY)), "x-amz-checksum-sha256": CHECKSUM}


@pytest.fixture(autouse=True)
def _signing_clock(monkeypatch: pytest.MonkeyPatch) -> None:
    """botocore signs at SIGNED_AT, with its Python signer and, when awscrt is installed,
    its CRT signer (which boto3 then prefers for presigned URLs)."""

    def signing_time(remove_tzinfo: bool = True) -> datetime:
        return SIGNED_AT.replace(tzinfo=None) if remove_tzinfo else SIGNED_AT

    monkeypatch.setattr("botocore.auth.get_current_datetime", signing_time)
    if HAS_CRT:
        monkeypatch.setattr("botocore.crt.auth.get_current_datetime", signing_time)


def verifier(now: datetime = SIGNED_AT + timedelta(seconds=30), region: str = REGION) -> S3Verifier:
    return S3Verifier(CREDENTIALS, region, clock=lambda: now)


def presign(
    key: str = "uploads/acme/f_1", *, expires: int = 600, credentials: Credentials = CREDENTIALS, **params: Any
) -> str:
    """A presigned PUT made exactly as adapters/objects.py makes it (an UploadPart with
    ``UploadId`` and ``PartNumber``)."""
    s3 = boto3.client(
        "s3",
        endpoint_url=ENDPOINT,
        region_name=REGION,
        aws_access_key_id=credentials.access_key,
        aws_secret_access_key=credentials.secret_key,
        config=Config(signature_version="s3v4", request_checksum_calculation="when_required"),
    )
    operation, fields = "put_object", {"ContentType": "text/csv"}
    if "UploadId" in params:
        operation, fields = "upload_part", {}
    return str(
        s3.generate_presigned_url(
            operation,
            Params={
                "Bucket": "input",
                "Key": key,
                "ContentLength": len(BODY),
                "ChecksumSHA256": CHECKSUM,
                **fields,
                **params,
            },
            ExpiresIn=expires,
            HttpMethod="PUT",
        )
    )


def received(url: str, headers: dict[str, str] | None = None, method: str = "PUT") -> S3Request:
    """What the edge sees when a client sends ``url`` with ``headers``."""
    parts = urlsplit(url)
    target = parts.path + (f"?{parts.query}" if parts.query else "")
    sent = {"Host": parts.netloc, "User-Agent": "curl/8", **(PUT_HEADERS if headers is None else headers)}
    return S3Request.of(method, target, sent.items())


def refusal(request: S3Request, check: S3Verifier | None = None) -> S3Refusal:
    with pytest.raises(S3Refusal) as caught:
        (check or verifier()).verify(request)
    return caught.value


# -- presigned URLs


def test_presigned_put_signed_by_botocore_is_accepted():
    authenticated = verifier().verify(received(presign()))

    assert authenticated.payload_sha256 == "UNSIGNED-PAYLOAD"


def test_headers_outside_the_signature_may_differ():
    headers = {**PUT_HEADERS, "User-Agent": "python-requests/2", "Expect": "100-continue", "Accept": "*/*"}
    verifier().verify(received(presign(), headers))


def _tamper_path(url: str) -> str:
    return url.replace("/input/uploads/acme/f_1?", "/output/processed/globex/f_2.jsonl?")


@pytest.mark.parametrize(
    ("case", "url_change", "header_change", "method"),
    [
        ("another partner's output key (the issue's attack)", _tamper_path, {}, "PUT"),
        ("another key in the same bucket", lambda u: u.replace("acme/f_1", "acme/f_9"), {}, "PUT"),
        ("zeroed signature", lambda u: u[: u.index("X-Amz-Signature=") + 16] + "0" * 64, {}, "PUT"),
        ("extra query parameter", lambda u: u + "&partNumber=1", {}, "PUT"),
        ("longer expiry", lambda u: u.replace("X-Amz-Expires=600", "X-Amz-Expires=6000"), {}, "PUT"),
        ("another content type", None, {"Content-Type": "text/plain"}, "PUT"),
        ("another content length", None, {"Content-Length": "5"}, "PUT"),
        ("another checksum", None, {"x-amz-checksum-sha256": base64.b64encode(bytes(32)).decode()}, "PUT"),
        ("a signed header left out", None, {"x-amz-checksum-sha256": None}, "PUT"),
        ("another method", None, {}, "POST"),
        ("another host", None, {"Host": "127.0.0.1:9"}, "PUT"),
    ],
)
def test_presigned_put_is_refused_when_anything_signed_changes(case, url_change, header_change, method):
    url = presign()
    headers = {k: v for k, v in {**PUT_HEADERS, **header_change}.items() if v is not None}
    request = received(url_change(url) if url_change else url, headers, method=method)
    if "Host" in header_change:
        request = S3Request.of(method, request.target, {**request.headers, "host": header_change["Host"]}.items())

    refused = refusal(request)

    assert (refused.status, refused.code) == (403, "SignatureDoesNotMatch"), case
    assert refused.details["CanonicalRequest"].startswith(method)


def test_presigned_url_signed_with_another_secret_is_refused():
    url = presign(credentials=Credentials("scalper-local", "guessed"))

    assert refusal(received(url)).code == "SignatureDoesNotMatch"


def test_presigned_url_is_valid_until_it_expires_and_refused_after():
    url = presign(expires=600)
    verifier(now=SIGNED_AT + timedelta(seconds=600)).verify(received(url))

    refused = refusal(received(url), verifier(now=SIGNED_AT + timedelta(seconds=601)))

    assert (refused.status, refused.code, refused.message) == (403, "AccessDenied", "Request has expired")
    assert refused.details == {
        "X-Amz-Expires": "600",
        "Expires": "2026-11-25T09:40:00Z",
        "ServerTime": "2026-11-25T09:40:01Z",
    }


def test_presigned_url_dated_in_the_future_is_not_yet_valid():
    refused = refusal(received(presign()), verifier(now=SIGNED_AT - timedelta(minutes=16)))

    assert (refused.status, refused.code, refused.message) == (403, "AccessDenied", "Request is not yet valid")


def test_presigned_url_may_live_seven_days_and_no_longer():
    verifier().verify(received(presign(expires=604_800)))

    refused = refusal(received(presign(expires=604_801)))

    assert (refused.status, refused.code) == (400, "AuthorizationQueryParametersError")
    assert "less than a week" in refused.message


@pytest.mark.parametrize(
    "parameter",
    ["X-Amz-Algorithm", "X-Amz-Credential", "X-Amz-Signature", "X-Amz-Date", "X-Amz-SignedHeaders", "X-Amz-Expires"],
)
def test_presigned_url_without_an_auth_parameter_is_refused(parameter):
    parts = urlsplit(presign())
    query = "&".join(p for p in parts.query.split("&") if not p.startswith(parameter + "="))
    url = f"{ENDPOINT}{parts.path}?{query}"

    refused = refusal(received(url))

    assert (refused.status, refused.code) == (400, "AuthorizationQueryParametersError")


def test_presigned_url_of_an_unknown_access_key_is_refused():
    refused = refusal(received(presign(credentials=Credentials("AKIAOTHER", "scalper-local"))))

    assert (refused.status, refused.code) == (403, "InvalidAccessKeyId")


def test_presigned_url_scoped_to_another_region_is_refused():
    refused = refusal(received(presign()), verifier(region="eu-west-1"))

    assert (refused.status, refused.code) == (400, "AuthorizationQueryParametersError")
    assert "the region 'us-east-1' is wrong; expecting 'eu-west-1'" in refused.message


def test_presigned_url_with_a_malformed_date_is_refused():
    url = presign().replace("X-Amz-Date=20261125T093000Z", "X-Amz-Date=yesterday")

    assert refusal(received(url)).code == "AuthorizationQueryParametersError"


def test_a_repeated_parameter_cannot_override_a_signed_one():
    # Signed for part 1; the same parameter again, first, must not make it part 2.
    url = presign(UploadId="u-1", PartNumber=1).replace("?", "?partNumber=2&", 1)
    assert "partNumber=1" in url

    assert refusal(received(url)).code == "SignatureDoesNotMatch"


# -- no signature, or one S3 does not accept


def test_request_without_any_signature_is_access_denied():
    refused = refusal(received(f"{ENDPOINT}/input/uploads/acme/f_1"))

    assert (refused.status, refused.code, refused.message) == (403, "AccessDenied", "Access Denied")


def test_signature_version_2_is_not_supported():
    url = f"{ENDPOINT}/input/k?AWSAccessKeyId=scalper-local&Expires=1900000000&Signature=abc%3D"

    refused = refusal(received(url))

    assert (refused.status, refused.code) == (400, "InvalidRequest")


def test_header_and_query_signatures_together_are_refused():
    headers = {**PUT_HEADERS, "Authorization": "AWS4-HMAC-SHA256 Credential=x, SignedHeaders=host, Signature=0"}

    refused = refusal(received(presign(), headers))

    assert (refused.status, refused.code) == (400, "InvalidArgument")


# -- the Authorization header, as boto3 sends it from the handlers


def header_signed(
    method: str = "PUT", path: str = "/output/processed/acme/f_1.jsonl", body: bytes = BODY, **headers: str
) -> tuple[str, dict[str, str]]:
    request = AWSRequest(method=method, url=f"{ENDPOINT}{path}", data=body, headers=headers)
    S3SigV4Auth(CREDENTIALS, "s3", REGION).add_auth(request)
    return request.url, dict(request.headers.items())


def test_header_signed_request_is_accepted_with_its_payload_hash():
    url, headers = header_signed()

    authenticated = verifier().verify(received(url, headers))

    assert authenticated.payload_sha256 == hashlib.sha256(BODY).hexdigest()


def test_header_signed_get_with_a_query_is_accepted():
    url, headers = header_signed("GET", "/output?list-type=2&prefix=processed%2Facme%2F", b"")

    verifier().verify(received(url, headers, method="GET"))


@pytest.mark.parametrize(
    "change",
    [
        {"X-Amz-Content-SHA256": hashlib.sha256(b"other").hexdigest()},
        {"Content-Type": "text/plain"},
        {"X-Amz-Date": "20261125T093001Z"},
    ],
)
def test_header_signed_request_is_refused_when_a_signed_header_changes(change):
    url, headers = header_signed(**{"Content-Type": "text/csv"})

    assert refusal(received(url, {**headers, **change})).code == "SignatureDoesNotMatch"


def test_header_signed_request_far_from_the_clock_is_too_skewed():
    url, headers = header_signed()

    refused = refusal(received(url, headers), verifier(now=SIGNED_AT + timedelta(minutes=16)))

    assert (refused.status, refused.code) == (403, "RequestTimeTooSkewed")
    assert refused.details["MaxAllowedSkewMilliseconds"] == "900000"


def test_header_signed_request_needs_x_amz_content_sha256():
    url, headers = header_signed()
    del headers["X-Amz-Content-SHA256"]

    refused = refusal(received(url, headers))

    assert (refused.status, refused.code) == (400, "InvalidRequest")


def test_aws_chunked_payloads_are_refused_rather_than_unchecked():
    url, headers = header_signed()
    headers["X-Amz-Content-SHA256"] = "STREAMING-AWS4-HMAC-SHA256-PAYLOAD"

    refused = refusal(received(url, headers))

    assert (refused.status, refused.code) == (501, "NotImplemented")


@pytest.mark.parametrize(
    "authorization",
    [
        "AWS4-HMAC-SHA256 Credential=scalper-local/20261125/us-east-1/s3/aws4_request",
        "AWS4-HMAC-SHA256 Credential=scalper-local/20261125/us-east-1/ec2/aws4_request, SignedHeaders=host, "
        "Signature=00",
        "AWS4-HMAC-SHA256 Credential=scalper-local/20261124/us-east-1/s3/aws4_request, SignedHeaders=host, "
        "Signature=00",
    ],
)
def test_malformed_authorization_header_is_refused(authorization):
    url, headers = header_signed()

    refused = refusal(received(url, {**headers, "Authorization": authorization}))

    assert (refused.status, refused.code) == (400, "AuthorizationHeaderMalformed")


def test_signature_version_2_header_is_not_supported():
    url, headers = header_signed()

    refused = refusal(received(url, {**headers, "Authorization": "AWS scalper-local:c2lnbmF0dXJl"}))

    assert (refused.status, refused.code) == (400, "InvalidRequest")


def test_header_signed_for_another_region_is_malformed_as_s3_says():
    url, headers = header_signed()

    refused = refusal(received(url, headers), verifier(region="eu-west-1"))

    assert (refused.status, refused.code) == (400, "AuthorizationHeaderMalformed")
    assert refused.message == (
        "The authorization header is malformed; the region 'us-east-1' is wrong; expecting 'eu-west-1'"
    )


@pytest.mark.parametrize("stamp", [None, "Wed, 25 Nov 2026 09:30:00 GMT", "20261399T093000Z"])
def test_header_signed_request_needs_a_valid_x_amz_date(stamp):
    url, headers = header_signed()
    del headers["X-Amz-Date"]
    if stamp is not None:
        headers["X-Amz-Date"] = stamp

    refused = refusal(received(url, headers))

    assert (refused.status, refused.code) == (403, "AccessDenied")
