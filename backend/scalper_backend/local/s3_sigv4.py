"""Verifying an S3 request's Signature Version 4 with botocore's own signer.

A request arrives signed in one of two ways: an ``Authorization`` header (boto3 in the
handlers) or query parameters (a presigned URL, used by the SDK and curl). Either way
``S3SigV4Auth`` / ``S3SigV4QueryAuth`` recompute the signature over what was received
(``sigv4.recompute``) and the two are compared in constant time.

What S3 checks around the signature, and how it refuses, is documented by AWS:
presigned URLs live at most 604,800 s (7 days) and are refused once expired
(https://docs.aws.amazon.com/AmazonS3/latest/API/sigv4-query-string-auth.html); a
header-signed request must be within 15 minutes of S3's clock and carry
``x-amz-content-sha256`` (https://docs.aws.amazon.com/AmazonS3/latest/API/sig-v4-header-based-auth.html).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from urllib.parse import unquote

from botocore.auth import SIGV4_TIMESTAMP, UNSIGNED_PAYLOAD, S3SigV4Auth, S3SigV4QueryAuth, SigV4Auth
from botocore.credentials import Credentials

from .s3_refusals import S3Refusal, access_denied, invalid_request, not_implemented
from .sigv4 import recompute

ALGORITHM = "AWS4-HMAC-SHA256"
MAX_PRESIGNED_EXPIRES = 604_800
MAX_CLOCK_SKEW = timedelta(minutes=15)
_QUERY_AUTH = ("X-Amz-Algorithm", "X-Amz-Credential", "X-Amz-Signature", "X-Amz-Date", "X-Amz-SignedHeaders")
_HEX_SHA256 = re.compile(r"^[0-9a-f]{64}$")
_TIMESTAMP = re.compile(r"^\d{8}T\d{6}Z$")


@dataclass(frozen=True)
class S3Request:
    """An HTTP request as it reached the edge, before anything interpreted it.

    Attributes:
        method: the HTTP method.
        target: the request target exactly as on the request line (``/bucket/key?query``).
        headers: header names in lower case; repeated headers joined with ``,``.
    """

    method: str
    target: str
    headers: Mapping[str, str]

    @classmethod
    def of(cls, method: str, target: str, headers: Iterable[tuple[str, str]]) -> S3Request:
        joined: dict[str, str] = {}
        for name, value in headers:
            key = name.lower()
            joined[key] = f"{joined[key]},{value}" if key in joined else value
        return cls(method.upper(), target, joined)

    @property
    def path(self) -> str:
        """The path as sent, still percent-encoded: S3 signs it as is."""
        return self.target.partition("?")[0]

    @property
    def query(self) -> list[tuple[str, str]]:
        """The query's parameters, decoded (``+`` stays ``+``, as in S3's canonical form)."""
        raw = self.target.partition("?")[2]
        pairs = (part.partition("=") for part in raw.split("&") if part)
        return [(unquote(name), unquote(value)) for name, _, value in pairs]

    def param(self, name: str) -> str | None:
        return next((value for key, value in self.query if key == name), None)


@dataclass(frozen=True)
class Authenticated:
    """A request whose signature verified, and what that signature says about its body.

    Attributes:
        payload_sha256: ``x-amz-content-sha256`` as signed: a hex SHA-256 of the body that
            must still be checked against the bytes, or ``UNSIGNED-PAYLOAD``.
    """

    payload_sha256: str


class S3Verifier:
    """Verifies S3 requests against one set of credentials, in one region.

    Args:
        credentials: the only credentials requests may be signed with.
        region: the region signatures must be scoped to.
        clock: the current time (tests replace it).
    """

    def __init__(
        self, credentials: Credentials, region: str, *, clock: Callable[[], datetime] = lambda: datetime.now(UTC)
    ) -> None:
        self._credentials = credentials
        self._region = region
        self._clock = clock

    def verify(self, request: S3Request) -> Authenticated:
        """Check the request's signature and validity period.

        Raises:
            S3Refusal: what S3 answers to a request it does not authenticate.
        """
        header = request.headers.get("authorization")
        in_query = request.param("X-Amz-Algorithm") is not None or request.param("X-Amz-Signature") is not None
        if header is not None and in_query:
            raise S3Refusal(
                400,
                "InvalidArgument",
                "Only one auth mechanism allowed; only the X-Amz-Algorithm query parameter, Signature query "
                "string parameter or the Authorization header should be specified",
            )
        if header is not None:
            return self._verify_header(request, header)
        if in_query:
            return self._verify_query(request)
        if request.param("Signature") is not None or request.param("AWSAccessKeyId") is not None:
            raise _unsupported_mechanism()
        raise access_denied()

    # -- presigned URLs
    def _verify_query(self, request: S3Request) -> Authenticated:
        found = {name: request.param(name) for name in (*_QUERY_AUTH, "X-Amz-Expires")}
        params = {name: value for name, value in found.items() if value is not None}
        if len(params) < len(found):
            raise _query_error(
                "Query-string authentication version 4 requires the X-Amz-Algorithm, X-Amz-Credential, "
                "X-Amz-Signature, X-Amz-Date, X-Amz-SignedHeaders, and X-Amz-Expires parameters."
            )
        if params["X-Amz-Algorithm"] != ALGORITHM:
            raise _query_error(f'X-Amz-Algorithm only supports "{ALGORITHM}"')
        expires = _expires(params["X-Amz-Expires"])
        signed_at = _timestamp(params["X-Amz-Date"])
        if signed_at is None:
            raise _query_error("X-Amz-Date must be in the ISO8601 Long Format \"yyyyMMdd'T'HHmmss'Z'\"")
        self._check_scope(
            params["X-Amz-Credential"], signed_at, _query_error, "Error parsing the X-Amz-Credential parameter;"
        )
        now = self._clock()
        if now > signed_at + timedelta(seconds=expires):
            raise access_denied(
                "Request has expired",
                {
                    "X-Amz-Expires": str(expires),
                    "Expires": _iso(signed_at + timedelta(seconds=expires)),
                    "ServerTime": _iso(now),
                },
            )
        if signed_at > now + MAX_CLOCK_SKEW:
            raise access_denied(
                "Request is not yet valid", {"X-Amz-Date": params["X-Amz-Date"], "ServerTime": _iso(now)}
            )
        # The canonical query string holds every parameter but the signature itself.
        unsigned = [(name, value) for name, value in request.query if name != "X-Amz-Signature"]
        self._check_signature(
            S3SigV4QueryAuth(self._credentials, "s3", self._region, expires=expires),
            request,
            unsigned,
            signed_headers=params["X-Amz-SignedHeaders"],
            timestamp=params["X-Amz-Date"],
            signature=params["X-Amz-Signature"],
        )
        return Authenticated(payload_sha256=UNSIGNED_PAYLOAD)

    # -- the Authorization header
    def _verify_header(self, request: S3Request, header: str) -> Authenticated:
        algorithm, _, rest = header.strip().partition(" ")
        if algorithm != ALGORITHM:
            raise _unsupported_mechanism()
        fields = {name.strip(): value.strip() for name, _, value in (part.partition("=") for part in rest.split(","))}
        if not all(fields.get(name) for name in ("Credential", "SignedHeaders", "Signature")):
            raise _header_error(
                "The authorization header is malformed; the authorization header requires three components: "
                "Credential, SignedHeaders, and Signature."
            )
        stamp = request.headers.get("x-amz-date", "")
        signed_at = _timestamp(stamp)
        if signed_at is None:
            raise access_denied("AWS authentication requires a valid Date or x-amz-date header")
        self._check_scope(fields["Credential"], signed_at, _header_error, "The authorization header is malformed;")
        now = self._clock()
        if abs(now - signed_at) > MAX_CLOCK_SKEW:
            raise S3Refusal(
                403,
                "RequestTimeTooSkewed",
                "The difference between the request time and the current time is too large.",
                {
                    "RequestTime": stamp,
                    "ServerTime": _iso(now),
                    "MaxAllowedSkewMilliseconds": str(int(MAX_CLOCK_SKEW.total_seconds() * 1000)),
                },
            )
        payload = request.headers.get("x-amz-content-sha256")
        if payload is None:
            raise invalid_request("Missing required header for this request: x-amz-content-sha256")
        if payload.startswith("STREAMING-"):
            # aws-chunked bodies carry per-chunk signatures this edge does not check.
            raise not_implemented("x-amz-content-sha256")
        if payload != UNSIGNED_PAYLOAD and not _HEX_SHA256.match(payload):
            raise S3Refusal(
                400,
                "InvalidArgument",
                "x-amz-content-sha256 must be UNSIGNED-PAYLOAD, STREAMING-AWS4-HMAC-SHA256-PAYLOAD, "
                "or a valid sha256 value.",
            )
        self._check_signature(
            S3SigV4Auth(self._credentials, "s3", self._region),
            request,
            request.query,
            signed_headers=fields["SignedHeaders"],
            timestamp=stamp,
            signature=fields["Signature"],
        )
        return Authenticated(payload_sha256=payload)

    # -- shared
    def _check_scope(
        self, credential: str, signed_at: datetime, error: Callable[[str], S3Refusal], prefix: str
    ) -> None:
        """Check ``AKID/yyyymmdd/region/s3/aws4_request``: our key, our region, the request's day."""
        parts = credential.rsplit("/", 4)
        if len(parts) != 5 or parts[3] != "s3" or parts[4] != "aws4_request":
            raise error(
                f'{prefix} the Credential is mal-formed; expecting "<YOUR-AKID>/YYYYMMDD/REGION/SERVICE/aws4_request".'
            )
        access_key, day, region = parts[0], parts[1], parts[2]
        if access_key != self._credentials.access_key:
            raise S3Refusal(
                403,
                "InvalidAccessKeyId",
                "The AWS Access Key Id you provided does not exist in our records.",
                {"AWSAccessKeyId": access_key},
            )
        if region != self._region:
            raise error(f"{prefix} the region '{region}' is wrong; expecting '{self._region}'")
        if day != signed_at.strftime("%Y%m%d"):
            raise error(f"{prefix} Invalid credential date. Date is not the same as X-Amz-Date.")

    def _check_signature(
        self,
        signer: SigV4Auth,
        request: S3Request,
        params: list[tuple[str, str]],
        *,
        signed_headers: str,
        timestamp: str,
        signature: str,
    ) -> None:
        """Let botocore sign what was received, at the time it says it was signed, and compare.

        Only the headers the client listed as signed take part, as on S3: a header left out
        of the list can change freely, and a listed one that differs changes the signature.
        """
        recomputed = recompute(
            signer,
            method=request.method,
            url=f"http://{request.headers.get('host', '')}{request.path}",
            headers=request.headers.items(),
            signed=signed_headers.split(";"),
            timestamp=timestamp,
            params=params,
        )
        if not recomputed.matches(signature):
            raise S3Refusal(
                403,
                "SignatureDoesNotMatch",
                "The request signature we calculated does not match the signature you provided. "
                "Check your key and signing method.",
                {
                    "AWSAccessKeyId": self._credentials.access_key,
                    "StringToSign": recomputed.string_to_sign,
                    "SignatureProvided": signature,
                    "CanonicalRequest": recomputed.canonical_request,
                },
            )


def _expires(value: str) -> int:
    if not value.isdigit():
        raise _query_error("X-Amz-Expires should be a number")
    seconds = int(value)
    if seconds > MAX_PRESIGNED_EXPIRES:
        raise _query_error(
            "X-Amz-Expires must be less than a week (in seconds); that is, the given X-Amz-Expires must be less "
            f"than {MAX_PRESIGNED_EXPIRES} seconds"
        )
    return seconds


def _timestamp(value: str) -> datetime | None:
    """``yyyymmddThhmmssZ`` as a UTC time; ``None`` when it is not that."""
    if not _TIMESTAMP.match(value):
        return None
    try:
        return datetime.strptime(value, SIGV4_TIMESTAMP).replace(tzinfo=UTC)
    except ValueError:  # the right shape, an impossible date
        return None


def _iso(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


def _query_error(message: str) -> S3Refusal:
    return S3Refusal(400, "AuthorizationQueryParametersError", message)


def _header_error(message: str) -> S3Refusal:
    return S3Refusal(400, "AuthorizationHeaderMalformed", message)


def _unsupported_mechanism() -> S3Refusal:
    return invalid_request(
        "The authorization mechanism you have provided is not supported. Please use AWS4-HMAC-SHA256."
    )
