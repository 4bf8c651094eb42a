"""Every error the dashboard answers, as the API's JSON shape: ``{"error": {code, message, request_id}}``.

The API's own errors pass through with their status and code (a partner's
``file_not_found`` stays ``file_not_found``); the dashboard's own have codes of their own.
Nothing answers a traceback: an unexpected fault is logged on the server's standard error
and answered 500 ``internal_error``.
"""

from __future__ import annotations

import logging

from flask import Flask, Response, jsonify
from werkzeug.exceptions import HTTPException, RequestEntityTooLarge, SecurityError

from .._exceptions import (
    APIConnectionError,
    APIResponseValidationError,
    APIStatusError,
    ScalperError,
    UploadError,
)

logger = logging.getLogger("silent_scalper.dashboard")

BAD_GATEWAY = 502
# Werkzeug's statuses as stable codes; anything else is "http_<status>".
_HTTP_CODES = {
    400: "invalid_request",
    404: "not_found",
    405: "method_not_allowed",
    413: "upload_too_large",
}


class DashboardError(Exception):
    """An error the dashboard answers itself.

    Args:
        status: The HTTP status.
        code: A stable, machine-readable code.
        message: A sentence for people.
    """

    def __init__(self, status: int, code: str, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message


def error_response(status: int, code: str, message: str, request_id: str | None = None) -> tuple[Response, int]:
    """The JSON error body and its status."""
    return jsonify(error={"code": code, "message": message, "request_id": request_id}), status


def install(app: Flask, *, max_upload_bytes: int) -> None:
    """Answer every error raised while handling a request in the JSON shape."""

    @app.errorhandler(DashboardError)
    def _dashboard(err: DashboardError) -> tuple[Response, int]:
        return error_response(err.status, err.code, err.message)

    @app.errorhandler(ScalperError)
    def _sdk(err: ScalperError) -> tuple[Response, int]:
        return sdk_error_response(err)

    @app.errorhandler(SecurityError)
    def _host(err: SecurityError) -> tuple[Response, int]:
        return error_response(400, "host_not_allowed", "open the dashboard as http://127.0.0.1:<port>/ or localhost")

    @app.errorhandler(RequestEntityTooLarge)
    def _too_large(err: RequestEntityTooLarge) -> tuple[Response, int]:
        message = f"the dashboard takes files up to {_size(max_upload_bytes)}; use `scalper upload` for larger files"
        return error_response(413, "upload_too_large", message)

    @app.errorhandler(HTTPException)
    def _http(err: HTTPException) -> tuple[Response, int]:
        status = err.code or 500
        return error_response(status, _HTTP_CODES.get(status, f"http_{status}"), err.description or err.name)

    @app.errorhandler(Exception)
    def _unexpected(err: Exception) -> tuple[Response, int]:
        logger.exception("unexpected error in the dashboard")
        return error_response(500, "internal_error", "the dashboard hit an unexpected error; see its log")


def sdk_error_response(err: ScalperError) -> tuple[Response, int]:
    """An SDK error as the answer to the browser: the API's status and code when there is one."""
    if isinstance(err, APIStatusError):
        return error_response(err.status_code, err.code, err.message, err.request_id)
    if isinstance(err, UploadError):
        return error_response(BAD_GATEWAY, err.code, f"storage refused the upload: {err.message}", err.request_id)
    if isinstance(err, APIConnectionError | APIResponseValidationError):
        return error_response(BAD_GATEWAY, err.code, err.message)
    return error_response(500, err.code, err.message)


def _size(count: int) -> str:
    """Bytes in decimal units, as the page shows them (``2 kB``, ``100 MB``)."""
    for unit, scale in (("GB", 10**9), ("MB", 10**6), ("kB", 10**3)):
        if count >= scale:
            return f"{count / scale:.3g} {unit}"
    return f"{count} B"
