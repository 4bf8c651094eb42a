"""The one place where errors become HTTP answers, and where models become JSON bodies."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.event_handler import APIGatewayRestResolver, Response, content_types
from pydantic import BaseModel

from ..errors import ApiError
from ..observability import logger
from .schemas import ErrorBody, ErrorDetail


def json_response(status: int, model: BaseModel, headers: dict[str, str] | None = None) -> Response[str]:
    return Response(
        status_code=status,
        content_type=content_types.APPLICATION_JSON,
        body=model.model_dump_json(),
        headers=headers,
    )


def error_response(
    status: int, code: str, message: str, request_id: str | None, *, retry_after: int | None = None
) -> Response[str]:
    headers = {"Retry-After": str(retry_after)} if retry_after is not None else None
    body = ErrorBody(error=ErrorDetail(code=code, message=message, request_id=request_id))
    return json_response(status, body, headers)


def install_error_handlers(app: APIGatewayRestResolver) -> None:
    """Register the answers for our errors, unknown routes and anything unexpected."""

    def request_id() -> str | None:
        context: Any = app.current_event.request_context
        return context.request_id

    @app.exception_handler(ApiError)
    def _api_error(err: ApiError) -> Response[str]:
        logger.info("request refused", extra={"code": err.code, "status": err.status})
        return error_response(err.status, err.code, err.message, request_id(), retry_after=err.retry_after)

    @app.not_found
    def _not_found(_: Exception) -> Response[str]:
        return error_response(404, "route_not_found", "No such route.", request_id())

    @app.exception_handler(Exception)
    def _unexpected(err: Exception) -> Response[str]:
        # The traceback goes to our logs only; the partner gets a request id to quote.
        logger.exception("unexpected error", extra={"error_type": type(err).__name__})
        return error_response(500, "internal_error", "Internal error; quote the request_id.", request_id())
