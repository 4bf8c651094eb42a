"""API Gateway's own answers (gateway responses), rendered from the template as AWS renders them.

A gateway response template gets plain variable substitution, not VTL, and
``$context.error.messageString`` is substituted *already quoted* as a JSON string, while
``$context.error.message`` is the bare text (AWS's "API Gateway mapping template and access
logging variable reference"). Rendering both the way AWS does is what lets a test catch a
template that quotes ``messageString`` again and so answers invalid JSON on AWS.

A type the template does not customise falls back to ``DEFAULT_4XX`` / ``DEFAULT_5XX``
keeping its own default status unless the fallback sets one, and with no template at all
the body is AWS's default ``{"message": ...}`` (the "Gateway response types" page).
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass

from werkzeug.wrappers import Response

from .template import GatewayResponse

_AWS_DEFAULT_TEMPLATE = '{"message":$context.error.messageString}'
_VARIABLES = re.compile(r"\$context\.(error\.messageString|error\.message|error\.responseType|requestId)")


@dataclass(frozen=True)
class _Type:
    status: int
    message: str
    error_type: str  # what AWS puts in x-amzn-ErrorType


# The types the local gateway produces, with AWS's default status and message for each.
TYPES = {
    "MISSING_AUTHENTICATION_TOKEN": _Type(403, "Missing Authentication Token", "MissingAuthenticationTokenException"),
    "INVALID_API_KEY": _Type(403, "Forbidden", "ForbiddenException"),
    "ACCESS_DENIED": _Type(403, "The security token included in the request is invalid.", "AccessDeniedException"),
    "INVALID_SIGNATURE": _Type(
        403,
        "The request signature we calculated does not match the signature you provided. "
        "Check your AWS Secret Access Key and signing method.",
        "InvalidSignatureException",
    ),
    "EXPIRED_TOKEN": _Type(403, "The security token included in the request is expired", "ExpiredTokenException"),
    "THROTTLED": _Type(429, "Too Many Requests", "TooManyRequestsException"),
    "REQUEST_TOO_LARGE": _Type(413, "Request Too Long", "RequestTooLongException"),
    "DEFAULT_4XX": _Type(400, "Bad Request", "BadRequestException"),
    "DEFAULT_5XX": _Type(502, "Internal server error", "InternalServerErrorException"),
}


class Refusal(Exception):
    """The gateway refuses a request before any function runs, with one of ``TYPES``."""

    def __init__(self, response_type: str, message: str | None = None) -> None:
        super().__init__(response_type)
        self.response_type = response_type
        self.message = message or TYPES[response_type].message


def render(responses: dict[str, GatewayResponse], refusal: Refusal, request_id: str) -> Response:
    """The HTTP answer API Gateway gives for ``refusal`` with these customised responses."""
    kind = TYPES[refusal.response_type]
    own = responses.get(refusal.response_type)
    fallback = responses.get("DEFAULT_5XX" if kind.status >= 500 else "DEFAULT_4XX")
    status = (own and own.status) or (fallback and fallback.status) or kind.status
    spec = own or fallback
    values = {
        "error.messageString": json.dumps(refusal.message),
        "error.message": refusal.message,
        "error.responseType": refusal.response_type,
        "requestId": request_id,
    }
    # One pass, so text that came from a value is never substituted again.
    body = _VARIABLES.sub(lambda m: values[m.group(1)], spec.body if spec else _AWS_DEFAULT_TEMPLATE)
    response = Response(body, status=status, content_type="application/json")
    for name, value in (spec.headers if spec else {}).items():
        response.headers[name] = value
    response.headers["x-amzn-RequestId"] = request_id
    response.headers["x-amzn-ErrorType"] = kind.error_type
    return response
