"""A local API Gateway: HTTP requests become REST proxy events for the template's handlers.

It does what the real one does before a handler runs: match the route, require a valid
API key that is in the usage plan, and answer with the template's gateway responses when
either fails. Handlers see ``requestContext.identity.apiKeyId`` exactly as on AWS.
"""

from __future__ import annotations

import base64
import json
import re
import time
import uuid
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from werkzeug.wrappers import Request, Response

from ..api.openapi import openapi_document
from .api_keys import ApiKeys
from .runtime import LocalFunction
from .serving import BackgroundServer
from .template import ACCOUNT_ID, Template


@dataclass(frozen=True)
class _Route:
    method: str
    resource: str
    pattern: re.Pattern[str]
    function: LocalFunction


class Gateway(BackgroundServer):
    thread_name = "scalper-gateway"

    def __init__(self, template: Template, functions: dict[str, LocalFunction], api_keys: ApiKeys) -> None:
        self.stage = template.stage
        self._responses = template.gateway_responses()
        self._api_keys = api_keys
        self._routes = [
            _Route(route.method, route.path, _path_pattern(route.path), functions[route.function])
            for route in template.api_routes()
        ]

    # -- serving
    def wsgi_app(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        request = Request(environ)
        return self.handle(request)(environ, start_response)

    # -- one request
    def handle(self, request: Request) -> Response:
        request_id = str(uuid.uuid4())
        prefix = f"/{self.stage}"
        if request.path == f"{prefix}/openapi.json" and request.method == "GET":
            return _json(200, openapi_document(), request_id)  # local convenience, no key needed
        path = request.path[len(prefix) :] if request.path.startswith(prefix + "/") else None
        match = self._match(request.method, path) if path else None
        if match is None:
            return self._gateway_response("MISSING_AUTHENTICATION_TOKEN", request_id, 403)
        route, path_params = match
        api_key = request.headers.get("x-api-key")
        key_id = self._api_keys.key_id(api_key)
        if key_id is None:
            return self._gateway_response("INVALID_API_KEY", request_id, 403)
        event = _proxy_event(request, route, path or "", path_params, self.stage, request_id, api_key, key_id)
        try:
            result = route.function.invoke(event)
        except Exception:  # a handler crash is a 502 on AWS; the traceback is in our log
            return self._gateway_response("DEFAULT_5XX", request_id, 502)
        return _response_of(result, request_id)

    def _match(self, method: str, path: str) -> tuple[_Route, dict[str, str]] | None:
        for route in self._routes:
            found = route.pattern.match(path)
            if found and route.method == method:
                return route, found.groupdict()
        return None

    def _gateway_response(self, kind: str, request_id: str, default_status: int) -> Response:
        spec = self._responses.get(kind)
        if spec is None:
            return _json(default_status, {"message": "Forbidden"}, request_id)
        body = spec.body.replace("$context.requestId", request_id).replace("$context.error.messageString", kind)
        return Response(
            body,
            status=spec.status or default_status,
            headers={"x-amzn-RequestId": request_id},
            content_type="application/json",
        )


def _path_pattern(resource: str) -> re.Pattern[str]:
    parts = re.split(r"(\{[^}]+\})", resource)
    regex = "".join(f"(?P<{p[1:-1]}>[^/]+)" if p.startswith("{") else re.escape(p) for p in parts)
    return re.compile(f"^{regex}$")


def _proxy_event(
    request: Request,
    route: _Route,
    path: str,
    path_params: dict[str, str],
    stage: str,
    request_id: str,
    api_key: str | None,
    key_id: str,
) -> dict[str, Any]:
    raw = request.get_data()
    try:
        body: str | None = raw.decode("utf-8") if raw else None
        is_base64 = False
    except UnicodeDecodeError:
        body, is_base64 = base64.b64encode(raw).decode("ascii"), True
    multi_headers: dict[str, list[str]] = {}
    for name, value in request.headers.items():
        multi_headers.setdefault(name, []).append(value)
    multi_query = {name: request.args.getlist(name) for name in request.args}
    now = time.time()
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
            "identity": {
                "sourceIp": request.remote_addr,
                "userAgent": request.headers.get("User-Agent"),
                "apiKey": api_key,
                "apiKeyId": key_id,
                "accountId": None,
                "caller": None,
                "user": None,
                "userArn": None,
                "accessKey": None,
            },
        },
        "body": body,
        "isBase64Encoded": is_base64,
    }


def _response_of(result: dict[str, Any], request_id: str) -> Response:
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


def _json(status: int, payload: Any, request_id: str) -> Response:
    return Response(
        json.dumps(payload), status=status, content_type="application/json", headers={"x-amzn-RequestId": request_id}
    )
