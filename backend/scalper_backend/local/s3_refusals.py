"""What S3 answers when it refuses a request, rendered as S3's XML error document.

Codes and HTTP statuses are S3's own, from its list of error codes
(https://docs.aws.amazon.com/AmazonS3/latest/API/ErrorResponses.html#ErrorCodeList); the
messages and detail elements are the ones S3 sends back, so that an SDK, curl or a
partner's own client reads the same error locally as on AWS.
"""

from __future__ import annotations

import base64
import html
import re
import secrets

from ..errors import ScalperError

# Detail elements echo parts of the request (the canonical request, a header value):
# bounded, and stripped of characters XML 1.0 cannot carry.
MAX_DETAIL_CHARS = 4096
_NOT_XML = re.compile("[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")


class S3Refusal(ScalperError):
    """A request the local S3 edge refuses, as S3 would: status, code, message, details.

    Args:
        status: the HTTP status S3 answers with.
        code: S3's error code (``SignatureDoesNotMatch``, ``BadDigest`` ...).
        message: S3's message for it.
        details: further elements of S3's error document, in order
            (``StringToSign``, ``Expires`` ...).
    """

    def __init__(self, status: int, code: str, message: str, details: dict[str, str] | None = None) -> None:
        super().__init__(f"{status} {code}: {message}")
        self.status = status
        self.code = code
        self.message = message
        self.details = details or {}

    def to_xml(self, request_id: str, host_id: str) -> bytes:
        """S3's error document: ``<Error><Code/><Message/>...details...<RequestId/><HostId/></Error>``."""
        elements = {"Code": self.code, "Message": self.message, **self.details}
        elements.update(RequestId=request_id, HostId=host_id)
        body = "".join(f"<{name}>{_text(value)}</{name}>" for name, value in elements.items())
        return f'<?xml version="1.0" encoding="UTF-8"?>\n<Error>{body}</Error>'.encode()


def new_request_ids() -> tuple[str, str]:
    """A request id and host id shaped like S3's (16 upper-case hex characters; base64)."""
    return secrets.token_hex(8).upper(), base64.b64encode(secrets.token_bytes(48)).decode("ascii")


def _text(value: str) -> str:
    # XML text needs only &, < and > escaped; html.escape does exactly that with quote=False.
    return html.escape(_NOT_XML.sub("?", value[:MAX_DETAIL_CHARS]), quote=False)


# -- the refusals more than one check raises


def access_denied(message: str = "Access Denied", details: dict[str, str] | None = None) -> S3Refusal:
    """403 AccessDenied: no credentials at all, or a presigned URL outside its validity."""
    return S3Refusal(403, "AccessDenied", message, details)


def invalid_request(message: str) -> S3Refusal:
    """400 InvalidRequest: a header S3 cannot accept (a malformed checksum, a missing one)."""
    return S3Refusal(400, "InvalidRequest", message)


def not_implemented(header: str) -> S3Refusal:
    """501 NotImplemented: a feature S3 has and this edge does not verify (it refuses
    rather than pass something unchecked)."""
    return S3Refusal(
        501,
        "NotImplemented",
        "A header you provided implies functionality that is not implemented.",
        {"Header": header},
    )
