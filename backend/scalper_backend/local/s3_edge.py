"""A verifying S3 front for moto: every S3 request of the local stack passes through it.

moto in server mode accepts any request: a tampered presigned URL, a zeroed or expired
signature, a body that fails its signed checksum. S3 refuses all of these, so the edge
checks each request as S3 does before moto sees it:

1. the Signature Version 4 (header or presigned query) with botocore's signer, against
   the local stack's credentials, and the validity period (``sigv4.py``);
2. the declared length, and every digest the request declares about its body, after
   spooling the body to a temporary file in constant memory (``s3_body.py``);

and only then forwards the request, body and all, to moto, streaming the answer back.
A refusal is S3's status and XML error document (``s3_refusals.py``), and nothing
reaches moto: no object is stored and no event notification fires.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from typing import IO, Any
from urllib.parse import urlsplit

import urllib3
from aws_lambda_powertools import Logger
from werkzeug.datastructures import Headers
from werkzeug.exceptions import ClientDisconnected
from werkzeug.wrappers import Request, Response

from .faults import Faults
from .s3_body import CHUNK, BodyChecks, declared_length, incomplete_body, receive_body
from .s3_refusals import S3Refusal, new_request_ids
from .s3_sigv4 import S3Request, S3Verifier
from .serving import BackgroundServer

logger = Logger(service="scalper-local")

# Headers that describe one hop, not the request (RFC 9110 7.6.1), plus Expect: the edge
# has already answered 100-continue to the client.
_HOP_BY_HOP = frozenset(
    {"connection", "keep-alive", "proxy-connection", "te", "trailer", "transfer-encoding", "upgrade", "expect"}
)
# The edge's own server writes these on every response.
_OWN_RESPONSE_HEADERS = frozenset({"date", "server"})
# moto answers a 1 GiB PUT only once it has stored it.
_UPSTREAM_TIMEOUT = urllib3.Timeout(connect=5.0, read=600.0)


class S3Edge(BackgroundServer):
    """Verifies S3 requests, then forwards them to ``upstream`` (moto).

    Args:
        upstream: moto's endpoint, ``http://host:port``.
        verifier: checks signatures against the local stack's credentials.
    """

    thread_name = "scalper-s3-edge"

    def __init__(self, upstream: str, verifier: S3Verifier) -> None:
        parts = urlsplit(upstream)
        self._verifier = verifier
        self._faults: Faults | None = None
        # One pool for all requests: moto's server keeps connections open between them.
        self._pool = urllib3.HTTPConnectionPool(
            parts.hostname or "127.0.0.1",
            parts.port,
            maxsize=16,
            block=False,
            retries=False,
            timeout=_UPSTREAM_TIMEOUT,
            blocksize=CHUNK,
        )

    def inject(self, faults: Faults) -> None:
        """Answer a share of requests 503 SlowDown from now on (``--fault s3-slowdown``)."""
        self._faults = faults

    def stop(self) -> None:
        super().stop()
        self._pool.close()

    def wsgi_app(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        return self.handle(Request(environ))(environ, start_response)

    def handle(self, request: Request) -> Response:
        # REQUEST_URI is the target as sent: S3 signs the path still percent-encoded.
        target = request.environ.get("REQUEST_URI") or request.full_path
        received = S3Request.of(request.method, target, request.headers.items())
        try:
            checks = BodyChecks(received, self._verifier.verify(received))
            length = declared_length(received)
            body = receive_body(request.stream, length or 0, checks)
        except ClientDisconnected:
            return self._refuse(request, received, incomplete_body(), drain=False)
        except S3Refusal as refusal:
            # Read what the client is still sending, so that it reads the refusal rather
            # than a reset connection; not a declared size S3 refuses outright.
            return self._refuse(request, received, refusal, drain=refusal.code != "EntityTooLarge")
        try:
            slowdown = self._faults.s3_refusal() if self._faults else None
            if slowdown is not None:  # an injected fault (--fault s3-slowdown): S3's "slow down"
                logger.warning("injected fault", extra={"fault": "s3-slowdown", "method": received.method})
                return _error_response(slowdown)
            return self._forward(received, body if length is not None else None)
        finally:
            body.close()

    def _forward(self, received: S3Request, body: IO[bytes] | None) -> Response:
        headers = {name: value for name, value in received.headers.items() if name not in _HOP_BY_HOP}
        try:
            upstream = self._pool.urlopen(
                received.method,
                received.target,
                body=body,
                headers=headers,
                preload_content=False,
                decode_content=False,
                redirect=False,
                assert_same_host=False,
            )
        except urllib3.exceptions.HTTPError:
            logger.exception("s3 edge: moto did not answer", extra={"method": received.method})
            return _error_response(
                S3Refusal(500, "InternalError", "We encountered an internal error. Please try again.")
            )
        dropped = _HOP_BY_HOP | _OWN_RESPONSE_HEADERS
        relayed = Headers([(name, value) for name, value in upstream.headers.items() if name.lower() not in dropped])
        response = Response(_Relay(upstream), status=upstream.status, headers=relayed, direct_passthrough=True)
        if "content-type" not in upstream.headers:
            del response.headers["Content-Type"]  # werkzeug's default; moto sent none
        return response

    def _refuse(self, request: Request, received: S3Request, refusal: S3Refusal, *, drain: bool) -> Response:
        logger.info(
            "s3 request refused",
            extra={
                "code": refusal.code,
                "status": refusal.status,
                "method": received.method,
                "path": received.path[:300],
            },
        )
        if drain:
            try:
                while request.stream.read(CHUNK):
                    pass
            except ClientDisconnected:
                pass  # the client has gone; nobody will read the refusal
        return _error_response(refusal)


class _Relay:
    """moto's response body, streamed; closing it releases the connection to the pool."""

    def __init__(self, upstream: urllib3.BaseHTTPResponse) -> None:
        self._upstream = upstream
        self._finished = False

    def __iter__(self) -> Iterator[bytes]:
        yield from self._upstream.stream(CHUNK, decode_content=False)
        self._finished = True

    def close(self) -> None:
        if not self._finished:
            self._upstream.close()  # unread bytes would poison a pooled connection
        self._upstream.release_conn()


def _error_response(refusal: S3Refusal) -> Response:
    request_id, host_id = new_request_ids()
    return Response(
        refusal.to_xml(request_id, host_id),
        status=refusal.status,
        content_type="application/xml",
        headers={"x-amz-request-id": request_id, "x-amz-id-2": host_id},
    )
