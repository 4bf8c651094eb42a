"""A local API Gateway: HTTP requests become REST proxy events for the template's handlers.

One ``Gateway`` serves one API of the template, on its own port (on AWS each API has its
own host). Before a handler runs it does what API Gateway does, in this order: refuse a
request over the REST API quotas (10 MB of body; 10,240 bytes of request line and header
values), match the route, authenticate (an API key in a usage plan, or a SigV4 signature),
throttle (the caller's usage plan, then the method's stage setting), and answer every
refusal with the template's gateway responses. Handlers see ``requestContext.identity``
as on AWS.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable, Iterable
from typing import Any, Protocol

from werkzeug.serving import WSGIRequestHandler
from werkzeug.wrappers import Request, Response

from ..api.openapi import openapi_document
from .gateway_responses import Refusal, render
from .proxy_event import Caller, ReceivedRequest, Route, proxy_event, response_of
from .runtime import LocalFunction
from .serving import BackgroundServer
from .template import Api
from .throttle import Throttles

# "Quotas for configuring and running a REST API in API Gateway" (neither can be raised).
MAX_BODY_BYTES = 10 * 1024 * 1024
MAX_REQUEST_LINE_AND_HEADER_BYTES = 10_240


class Authenticator(Protocol):
    def authenticate(self, request: ReceivedRequest) -> Caller:
        """The verified caller, or ``Refusal``."""


class Gateway(BackgroundServer):
    thread_name = "scalper-gateway"

    def __init__(
        self,
        api: Api,
        functions: dict[str, LocalFunction],
        authenticator: Authenticator,
        throttles: Throttles | None,
    ) -> None:
        self.api = api
        self._authenticator = authenticator
        self._throttles = throttles
        self._routes = [Route.of(route.method, route.path, functions[route.function]) for route in api.routes]

    # -- serving
    def request_handler(self) -> type[WSGIRequestHandler]:
        return _handler_class(self.refusal_response)

    def wsgi_app(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        return self.handle(Request(environ))(environ, start_response)

    # -- one request
    def handle(self, request: Request) -> Response:
        request_id = str(uuid.uuid4())
        try:
            return self._handle(request, request_id)
        except Refusal as refusal:
            return self.refusal_response(refusal, request_id)

    def refusal_response(self, refusal: Refusal, request_id: str) -> Response:
        return render(self.api.responses, refusal, request_id)

    def _handle(self, request: Request, request_id: str) -> Response:
        prefix = f"/{self.api.stage}"
        if request.path == f"{prefix}/openapi.json" and request.method == "GET":
            return _json(200, openapi_document(), request_id)  # local convenience, no auth
        _check_request_line_and_headers(request)
        body = _read_body(request)
        path = request.path[len(prefix) :] if request.path.startswith(prefix + "/") else ""
        route, path_params = self._match(request.method, path)
        raw_path, _, raw_query = request.environ.get("RAW_URI", request.full_path).partition("?")
        received = ReceivedRequest(request.method, raw_path, raw_query, list(request.headers.items()), body)
        caller = self._authenticator.authenticate(received)
        self._throttle(caller, route)
        event = proxy_event(
            request, body, route, path, path_params, stage=self.api.stage, request_id=request_id, caller=caller
        )
        try:
            result = route.function.invoke(event)
        except Exception:  # a handler crash is a 502 on AWS; the traceback is in our log
            raise Refusal("DEFAULT_5XX") from None
        return response_of(result, request_id)

    def _match(self, method: str, path: str) -> tuple[Route, dict[str, str]]:
        for route in self._routes:
            found = route.pattern.match(path)
            if found and route.method == method:
                return route, found.groupdict()
        # API Gateway says this both for an unknown route and, on an IAM API, for a
        # request without a signature.
        raise Refusal("MISSING_AUTHENTICATION_TOKEN")

    def _throttle(self, caller: Caller, route: Route) -> None:
        if self._throttles is None:
            return
        own = caller.throttle
        if own and caller.throttle_name and not self._throttles.allow(caller.throttle_name, own):
            raise Refusal("THROTTLED")
        method_throttle = self.api.method_throttle
        method = f"method:{self.api.logical_id} {route.method} {route.resource}"
        if method_throttle and not self._throttles.allow(method, method_throttle):
            raise Refusal("THROTTLED")


def _check_request_line_and_headers(request: Request) -> None:
    environ = request.environ
    request_line = f"{request.method} {environ.get('RAW_URI', request.full_path)} {environ.get('SERVER_PROTOCOL', '')}"
    if len(request_line) + sum(len(value) for _, value in request.headers.items()) > MAX_REQUEST_LINE_AND_HEADER_BYTES:
        raise Refusal("REQUEST_TOO_LARGE")


def _read_body(request: Request) -> bytes:
    """The body, or ``Refusal`` when it is over the limit (declared or chunked). What is
    left of a refused body is never read: the server closes every connection anyway."""
    body = request.stream.read(MAX_BODY_BYTES + 1)
    if len(body) > MAX_BODY_BYTES:
        raise Refusal("REQUEST_TOO_LARGE")
    return bytes(body)


def _handler_class(refusal_response: Callable[[Refusal, str], Response]) -> type[WSGIRequestHandler]:
    """The HTTP server's handler, answering what it refuses itself (a header line over
    64 KiB, over 100 headers, a request line over 64 KiB, a malformed request) with the
    gateway responses instead of the standard library's HTML page."""

    class _GatewayRequestHandler(WSGIRequestHandler):
        def send_error(self, code: int, message: str | None = None, explain: str | None = None) -> None:
            kind = "REQUEST_TOO_LARGE" if code in (413, 414, 431) else "DEFAULT_4XX"
            response = refusal_response(Refusal(kind, message), str(uuid.uuid4()))
            body = response.get_data()
            self.log_error("code %d, message %s", code, message)
            self.send_response(response.status_code)
            for name, value in response.headers.items():
                if name.lower() not in {"content-length", "connection"}:
                    self.send_header(name, value)
            self.send_header("Content-Length", str(len(body)))
            self.send_header("Connection", "close")
            self.end_headers()
            if self.command != "HEAD":
                self.wfile.write(body)

    return _GatewayRequestHandler


def _json(status: int, payload: Any, request_id: str) -> Response:
    return Response(
        json.dumps(payload), status=status, content_type="application/json", headers={"x-amzn-RequestId": request_id}
    )
