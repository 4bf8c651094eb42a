"""REST API proxy events in, proxy results out: the shapes Lambda sees behind API Gateway."""

from __future__ import annotations

import base64
import re
import time
from dataclasses import dataclass
from typing import Any

from werkzeug.wrappers import Request, Response

from .runtime import LocalFunction
from .template import ACCOUNT_ID, Throttle

# requestContext.identity of a REST API proxy event; API Gateway fills in what the
# method's auth verified and leaves the rest null.
_IDENTITY_FIELDS = (
    "cognitoIdentityPoolId",
    "cognitoIdentityId",
    "cognitoAuthenticationType",
    "cognitoAuthenticationProvider",
    "principalOrgId",
    "accountId",
    "caller",
    "user",
    "userArn",
    "accessKey",
    "apiKey",
    "apiKeyId",
)


@dataclass(frozen=True)
class ReceivedRequest:
    """A request exactly as it arrived: raw path and query, every header, the body bytes."""

    method: str
    raw_path: str
    raw_query: str
    headers: list[tuple[str, str]]
    body: bytes

    def header(self, name: str) -> str | None:
        """The first value of a header, by lower-case name."""
        return next((value for key, value in self.headers if key.lower() == name), None)


@dataclass(frozen=True)
class Caller:
    """What the gateway verified about a request's caller.

    ``identity`` holds the ``requestContext.identity`` fields API Gateway sets after auth;
    ``throttle`` is the caller's own (usage plan) limit, kept under ``throttle_name``.
    """

    identity: dict[str, str | None]
    throttle_name: str | None = None
    throttle: Throttle | None = None


@dataclass(frozen=True)
class Route:
    method: str
    resource: str
    pattern: re.Pattern[str]
    function: LocalFunction

    @classmethod
    def of(cls, method: str, resource: str, function: LocalFunction) -> Route:
        parts = re.split(r"(\{[^}]+\})", resource)
        regex = "".join(f"(?P<{p[1:-1]}>[^/]+)" if p.startswith("{") else re.escape(p) for p in parts)
        return cls(method, resource, re.compile(f"^{regex}$"), function)


def proxy_event(
    request: Request,
    body: bytes,
    route: Route,
    path: str,
    path_params: dict[str, str],
    *,
    stage: str,
    request_id: str,
    caller: Caller,
) -> dict[str, Any]:
    try:
        text: str | None = body.decode("utf-8") if body else None
        is_base64 = False
    except UnicodeDecodeError:
        text, is_base64 = base64.b64encode(body).decode("ascii"), True
    multi_headers: dict[str, list[str]] = {}
    for name, value in request.headers.items():
        multi_headers.setdefault(name, []).append(value)
    multi_query = {name: request.args.getlist(name) for name in request.args}
    now = time.time()
    identity: dict[str, str | None] = dict.fromkeys(_IDENTITY_FIELDS)
    identity.update(
        # The connection's address, never X-Forwarded-For: the client can write that.
        sourceIp=request.remote_addr,
        userAgent=request.headers.get("User-Agent"),
        **caller.identity,
    )
    return {
        "resource": route.resource,
        "path": path,
        "httpMethod": request.method,
        "headers": {name: values[-1] for name, values in multi_headers.items()},
        "multiValueHeaders": multi_headers,
        "queryStringParameters": {k: v[-1] for k, v in multi_query.items()} or None,
        "multiValueQueryStringParameters": multi_query or None,
        "pathParameters": path_params or None,
        "stageVariables": None,
        "requestContext": {
            "accountId": ACCOUNT_ID,
            "apiId": "local",
            "resourceId": "local",
            "resourcePath": route.resource,
            "httpMethod": request.method,
            "path": f"/{stage}{path}",
            "stage": stage,
            "protocol": request.environ.get("SERVER_PROTOCOL", "HTTP/1.1"),
            "requestId": request_id,
            "extendedRequestId": request_id,
            "requestTimeEpoch": int(now * 1000),
            "requestTime": time.strftime("%d/%b/%Y:%H:%M:%S +0000", time.gmtime(now)),
            "domainName": request.host,
            "identity": identity,
        },
        "body": text,
        "isBase64Encoded": is_base64,
    }


def response_of(result: dict[str, Any], request_id: str) -> Response:
    body = result.get("body") or ""
    data = base64.b64decode(body) if result.get("isBase64Encoded") else body.encode("utf-8")
    # API Gateway merges the two header maps, multi-value entries winning.
    headers: dict[str, list[str]] = {name: [str(value)] for name, value in (result.get("headers") or {}).items()}
    for name, values in (result.get("multiValueHeaders") or {}).items():
        headers[name] = [str(value) for value in values]
    response = Response(data, status=int(result.get("statusCode", 200)))
    for name, values in headers.items():
        response.headers.setlist(name, values)
    response.headers["x-amzn-RequestId"] = request_id
    return response
