"""An S3 request's body: spooled to a temporary file as it arrives, hashed on the way, and
checked before anything is stored.

S3 checks what a request declares about its body before it stores the object, and so
before any event notification fires: an ``x-amz-checksum-<algorithm>`` or ``Content-MD5``
that does not match is 400 ``BadDigest``, a signed ``x-amz-content-sha256`` that does not
match is 400 ``XAmzContentSHA256Mismatch``, a PUT without ``Content-Length`` is 411 and a
single PUT over 5 GiB is 400 ``EntityTooLarge``
(https://docs.aws.amazon.com/AmazonS3/latest/userguide/checking-object-integrity-upload.html,
https://docs.aws.amazon.com/AmazonS3/latest/API/ErrorResponses.html#ErrorCodeList). The
edge does the same: memory stays constant whatever the size, and only a body that
passed is forwarded.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import tempfile
from collections.abc import Callable
from typing import IO, Protocol

from botocore.auth import UNSIGNED_PAYLOAD
from botocore.httpchecksum import Crc32Checksum

from .s3_refusals import S3Refusal, invalid_request, not_implemented
from .s3_sigv4 import Authenticated, S3Request

CHUNK = 1024 * 1024
SPOOL_IN_MEMORY = 8 * CHUNK
MAX_SINGLE_PUT = 5 * 1024**3
# The x-amz-checksum-<algorithm> headers the edge verifies: S3's name and digest size.
_CHECKSUMS = {"sha256": ("SHA256", 32), "sha1": ("SHA1", 20), "crc32": ("CRC32", 4)}
# The ones S3 verifies and this edge cannot (they need awscrt): refused, never passed unchecked.
_UNVERIFIED = ("x-amz-checksum-crc32c", "x-amz-checksum-crc64nvme", "x-amz-trailer")


class _Hasher(Protocol):
    def update(self, data: bytes) -> None: ...

    def digest(self) -> bytes: ...


def _hasher(algorithm: str) -> _Hasher:
    if algorithm == "crc32":
        return Crc32Checksum()
    return hashlib.new(algorithm, usedforsecurity=algorithm != "md5")


class BodyChecks:
    """The digests a request declares for its body, computed as the body streams past.

    Raises:
        S3Refusal: (on construction) a declared digest is malformed or cannot be verified.
    """

    def __init__(self, request: S3Request, authenticated: Authenticated) -> None:
        self._hashers: dict[str, _Hasher] = {}
        self._expected: list[tuple[str, bytes, Callable[[bytes], S3Refusal]]] = []
        if authenticated.payload_sha256 != UNSIGNED_PAYLOAD:
            claimed = authenticated.payload_sha256
            self._expect("sha256", bytes.fromhex(claimed), lambda got: _content_sha256_mismatch(claimed, got))
        md5 = request.headers.get("content-md5")
        if md5 is not None:
            digest = _b64(md5, 16, S3Refusal(400, "InvalidDigest", "The Content-MD5 you specified is not valid."))
            self._expect("md5", digest, lambda got: _md5_mismatch(md5, got))
        # CompleteMultipartUpload's checksum is the whole object's, not its XML body's.
        if request.method == "PUT" or (request.method == "POST" and request.param("uploadId") is None):
            self._body_checksum(request)

    def _body_checksum(self, request: S3Request) -> None:
        for header in _UNVERIFIED:
            if header in request.headers:
                raise not_implemented(header)
        declared = [(name, value) for name, value in _CHECKSUMS.items() if f"x-amz-checksum-{name}" in request.headers]
        if len(declared) > 1:
            raise invalid_request("Expecting a single x-amz-checksum- header. Multiple checksum Types are not allowed.")
        for algorithm, (label, size) in declared:
            header = f"x-amz-checksum-{algorithm}"
            digest = _b64(request.headers[header], size, invalid_request(f"Value for {header} header is invalid."))
            self._expect(algorithm, digest, _checksum_mismatch(label))

    def _expect(self, algorithm: str, digest: bytes, refusal: Callable[[bytes], S3Refusal]) -> None:
        self._hashers.setdefault(algorithm, _hasher(algorithm))
        self._expected.append((algorithm, digest, refusal))

    def update(self, chunk: bytes) -> None:
        for hasher in self._hashers.values():
            hasher.update(chunk)

    def verify(self) -> None:
        """Compare each declared digest with the bytes received.

        Raises:
            S3Refusal: the first digest that does not match.
        """
        for algorithm, expected, refusal in self._expected:
            got = self._hashers[algorithm].digest()
            if not hmac.compare_digest(got, expected):
                raise refusal(got)


def declared_length(request: S3Request) -> int | None:
    """The body's length from ``Content-Length``; ``None`` for a request without a body.

    Raises:
        S3Refusal: a PUT or POST without a length, a length that is not a number, or a
            single PUT larger than S3 accepts.
    """
    value = request.headers.get("content-length")
    if value is None:
        if request.method in ("PUT", "POST"):
            raise S3Refusal(411, "MissingContentLength", "You must provide the Content-Length HTTP header.")
        return None
    if not value.isdigit():
        raise S3Refusal(400, "InvalidArgument", "Content-Length must be a non-negative integer.")
    length = int(value)
    if request.method == "PUT" and length > MAX_SINGLE_PUT:
        raise S3Refusal(
            400,
            "EntityTooLarge",
            "Your proposed upload exceeds the maximum allowed size",
            {"ProposedSize": str(length), "MaxSizeAllowed": str(MAX_SINGLE_PUT)},
        )
    return length


def receive_body(stream: IO[bytes], length: int, checks: BodyChecks) -> IO[bytes]:
    """Read ``length`` bytes into a spooled temporary file, hashing them, then verify them.

    Returns:
        The body, positioned at its start; the caller closes it.

    Raises:
        S3Refusal: the client sent fewer bytes than it declared, or a digest does not match.
    """
    spool = tempfile.SpooledTemporaryFile(max_size=SPOOL_IN_MEMORY)  # noqa: SIM115 - returned open
    try:
        remaining = length
        while remaining:
            chunk = stream.read(min(CHUNK, remaining))
            if not chunk:
                raise incomplete_body()
            checks.update(chunk)
            spool.write(chunk)
            remaining -= len(chunk)
        checks.verify()
    except BaseException:
        spool.close()
        raise
    spool.seek(0)
    return spool


def incomplete_body() -> S3Refusal:
    return S3Refusal(
        400, "IncompleteBody", "You did not provide the number of bytes specified by the Content-Length HTTP header"
    )


def _b64(value: str, size: int, refusal: S3Refusal) -> bytes:
    try:
        digest = base64.b64decode(value, validate=True)
    except binascii.Error:
        raise refusal from None
    if len(digest) != size:
        raise refusal
    return digest


def _checksum_mismatch(label: str) -> Callable[[bytes], S3Refusal]:
    def refusal(_got: bytes) -> S3Refusal:
        return S3Refusal(400, "BadDigest", f"The {label} you specified did not match the calculated checksum.")

    return refusal


def _content_sha256_mismatch(claimed: str, got: bytes) -> S3Refusal:
    return S3Refusal(
        400,
        "XAmzContentSHA256Mismatch",
        "The provided 'x-amz-content-sha256' header does not match what was computed.",
        {"ClientComputedContentSHA256": claimed, "S3ComputedContentSHA256": got.hex()},
    )


def _md5_mismatch(claimed: str, got: bytes) -> S3Refusal:
    return S3Refusal(
        400,
        "BadDigest",
        "The Content-MD5 you specified did not match what we received.",
        {"ExpectedDigest": claimed, "CalculatedDigest": base64.b64encode(got).decode("ascii")},
    )
