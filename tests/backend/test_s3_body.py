"""The S3 edge's body checks and its error documents: a body is verified in full, in
constant memory, before anything is forwarded, and refused as S3 refuses it."""

from __future__ import annotations

import base64
import hashlib
import io
import tracemalloc
import zlib
from xml.etree import ElementTree

import pytest

from scalper_backend.local.s3_body import MAX_SINGLE_PUT, BodyChecks, declared_length, receive_body
from scalper_backend.local.s3_refusals import MAX_DETAIL_CHARS, S3Refusal
from scalper_backend.local.s3_sigv4 import Authenticated, S3Request

BODY = b"patient_id,name\n1,Ada\n"
UNSIGNED = Authenticated(payload_sha256="UNSIGNED-PAYLOAD")


def b64(digest: bytes) -> str:
    return base64.b64encode(digest).decode()


def request(method: str = "PUT", target: str = "/input/uploads/acme/f_1", **headers: str) -> S3Request:
    sent = {"content-length": str(len(BODY)), **{k.replace("_", "-"): v for k, v in headers.items()}}
    return S3Request.of(method, target, sent.items())


def receive(req: S3Request, body: bytes = BODY, authenticated: Authenticated = UNSIGNED) -> bytes:
    with receive_body(io.BytesIO(body), len(body), BodyChecks(req, authenticated)) as spooled:
        return spooled.read()


def refused(req: S3Request, body: bytes = BODY, authenticated: Authenticated = UNSIGNED) -> S3Refusal:
    with pytest.raises(S3Refusal) as caught:
        receive(req, body, authenticated)
    return caught.value


# -- x-amz-checksum-*


def test_body_matching_its_signed_sha256_is_received_whole():
    req = request(x_amz_checksum_sha256=b64(hashlib.sha256(BODY).digest()))

    assert receive(req) == BODY


def test_body_failing_its_sha256_is_bad_digest():
    req = request(x_amz_checksum_sha256=b64(hashlib.sha256(BODY).digest()))

    refusal = refused(req, body=BODY.replace(b"Ada", b"Eve"))

    assert (refusal.status, refusal.code) == (400, "BadDigest")
    assert refusal.message == "The SHA256 you specified did not match the calculated checksum."


@pytest.mark.parametrize(
    ("header", "good"),
    [
        ("x_amz_checksum_sha1", b64(hashlib.sha1(BODY).digest())),
        ("x_amz_checksum_crc32", b64(zlib.crc32(BODY).to_bytes(4, "big"))),
    ],
)
def test_other_checksums_s3_supports_are_verified_too(header, good):
    assert receive(request(**{header: good})) == BODY
    assert refused(request(**{header: good}), body=BODY + b"!").code == "BadDigest"


@pytest.mark.parametrize("value", ["not base64!", b64(b"short")])
def test_malformed_checksum_is_an_invalid_request(value):
    refusal = refused(request(x_amz_checksum_sha256=value))

    assert (refusal.status, refusal.code) == (400, "InvalidRequest")
    assert refusal.message == "Value for x-amz-checksum-sha256 header is invalid."


def test_two_checksums_are_an_invalid_request():
    req = request(
        x_amz_checksum_sha256=b64(hashlib.sha256(BODY).digest()),
        x_amz_checksum_crc32=b64(zlib.crc32(BODY).to_bytes(4, "big")),
    )

    assert refused(req).code == "InvalidRequest"


@pytest.mark.parametrize("header", ["x_amz_checksum_crc32c", "x_amz_checksum_crc64nvme", "x_amz_trailer"])
def test_checksums_the_edge_cannot_verify_are_refused_not_passed(header):
    with pytest.raises(S3Refusal) as caught:
        BodyChecks(request(**{header: "AAAAAA=="}), UNSIGNED)

    assert (caught.value.status, caught.value.code) == (501, "NotImplemented")


def test_upload_part_body_is_checked_like_an_object():
    req = request(
        target="/input/uploads/acme/f_1?partNumber=2&uploadId=abc",
        x_amz_checksum_sha256=b64(hashlib.sha256(BODY).digest()),
    )

    assert refused(req, body=b"x" * len(BODY)).code == "BadDigest"


def test_complete_multipart_upload_checksum_describes_the_object_not_the_xml():
    req = request(method="POST", target="/input/k?uploadId=abc", x_amz_checksum_sha256=b64(bytes(32)))

    assert receive(req, body=b"<CompleteMultipartUpload/>") == b"<CompleteMultipartUpload/>"


# -- Content-MD5 and x-amz-content-sha256


def test_content_md5_is_verified():
    good = b64(hashlib.md5(BODY).digest())

    assert receive(request(content_md5=good)) == BODY
    refusal = refused(request(content_md5=good), body=BODY[::-1])
    assert (refusal.code, refusal.details["ExpectedDigest"]) == ("BadDigest", good)
    assert refused(request(content_md5="nope")).code == "InvalidDigest"


def test_signed_payload_hash_must_match_the_body():
    signed = Authenticated(payload_sha256=hashlib.sha256(BODY).hexdigest())

    assert receive(request(), authenticated=signed) == BODY
    refusal = refused(request(), body=BODY.upper(), authenticated=signed)
    assert (refusal.status, refusal.code) == (400, "XAmzContentSHA256Mismatch")
    assert refusal.details["S3ComputedContentSHA256"] == hashlib.sha256(BODY.upper()).hexdigest()


# -- length


def test_fewer_bytes_than_declared_is_an_incomplete_body():
    req = request(x_amz_checksum_sha256=b64(hashlib.sha256(BODY).digest()))

    with pytest.raises(S3Refusal) as caught:
        receive_body(io.BytesIO(BODY[:5]), len(BODY), BodyChecks(req, UNSIGNED))

    assert (caught.value.status, caught.value.code) == (400, "IncompleteBody")


def test_put_without_a_length_is_refused_and_a_get_has_no_body():
    put = S3Request.of("PUT", "/input/k", [("transfer-encoding", "chunked")])
    get = S3Request.of("GET", "/input/k", [])

    with pytest.raises(S3Refusal) as caught:
        declared_length(put)

    assert (caught.value.status, caught.value.code) == (411, "MissingContentLength")
    assert declared_length(get) is None


def test_single_put_over_five_gib_is_entity_too_large():
    assert declared_length(request(content_length=str(MAX_SINGLE_PUT))) == MAX_SINGLE_PUT
    with pytest.raises(S3Refusal) as caught:
        declared_length(request(content_length=str(MAX_SINGLE_PUT + 1)))

    assert (caught.value.status, caught.value.code) == (400, "EntityTooLarge")


def test_a_large_body_is_spooled_to_disk_in_constant_memory():
    size, piece = 64 * 1024 * 1024, bytes(range(256)) * 4096  # 64 pieces of 1 MiB
    stream = _Repeat(piece, size)
    digest = hashlib.sha256()
    for _ in range(size // len(piece)):
        digest.update(piece)
    req = request(content_length=str(size), x_amz_checksum_sha256=b64(digest.digest()))

    tracemalloc.start()
    try:
        spooled = receive_body(stream, size, BodyChecks(req, UNSIGNED))  # type: ignore[arg-type]
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()

    with spooled:
        assert spooled._rolled  # type: ignore[attr-defined]  # on disk, not in memory
        assert spooled.seek(0, io.SEEK_END) == size
    assert peak < 16 * 1024 * 1024


class _Repeat:
    """``size`` bytes of ``piece`` over and over, read a piece at a time, never held whole."""

    def __init__(self, piece: bytes, size: int) -> None:
        self._piece, self._left = piece, size

    def read(self, size: int) -> bytes:
        n = min(size, len(self._piece), self._left)
        self._left -= n
        return self._piece[:n]


# -- the error document


def test_refusal_is_s3s_xml_error_document():
    refusal = S3Refusal(403, "SignatureDoesNotMatch", "no", {"CanonicalRequest": "PUT\n/a<b>&c\x01"})

    root = ElementTree.fromstring(refusal.to_xml("0123456789ABCDEF", "host-id"))

    assert root.tag == "Error"
    assert [child.tag for child in root] == ["Code", "Message", "CanonicalRequest", "RequestId", "HostId"]
    assert root.findtext("Code") == "SignatureDoesNotMatch"
    assert root.findtext("CanonicalRequest") == "PUT\n/a<b>&c?"
    assert root.findtext("RequestId") == "0123456789ABCDEF"


def test_echoed_request_text_is_bounded():
    root = ElementTree.fromstring(S3Refusal(400, "X", "m", {"StringToSign": "a" * 100_000}).to_xml("r", "h"))

    assert len(root.findtext("StringToSign") or "") == MAX_DETAIL_CHARS
