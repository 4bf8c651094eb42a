"""``/uploads``: declare a file and get where to send its bytes; for a multipart upload,
presign parts again and complete it; cancel a declared upload."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.event_handler import APIGatewayRestResolver, Response
from aws_lambda_powertools.utilities.typing import LambdaContext

from ..api.queries import idempotency_key
from ..api.requests import caller_partner, parse_body
from ..api.responses import install_error_handlers, json_response
from ..api.schemas import CompleteRequest, PartsRequest, UploadRequest
from ..dependencies import Dependencies, dependencies
from ..multipart import complete_upload, refresh_parts
from ..observability import logger, publish_metrics
from ..uploads import cancel_upload, declare_upload

app = APIGatewayRestResolver()
install_error_handlers(app)


def _caller() -> tuple[Dependencies, str]:
    deps = dependencies()
    return deps, caller_partner(app.current_event, deps.partners)


@app.post("/uploads")
def post_upload() -> Response[str]:
    deps, partner_id = _caller()
    request = parse_body(app.current_event, UploadRequest)
    ticket, replayed = declare_upload(
        request,
        partner_id,
        idempotency_key=idempotency_key(app.current_event),
        idempotency_store=lambda: deps.idempotency,
        context=app.lambda_context,
        settings=deps.settings,
        rules=deps.rules.for_partner(partner_id),
        files=deps.files,
        objects=deps.objects,
    )
    logger.set_correlation_id(ticket.file_id)
    logger.info(
        "upload declared",
        extra={"file_id": ticket.file_id, "partner_id": partner_id, "size": request.size, "replayed": replayed},
    )
    status = 200 if ticket.duplicate_of else 201  # 200: the partner has this file, nothing to send
    return json_response(status, ticket, headers={"Idempotent-Replayed": "true"} if replayed else None)


@app.post("/uploads/<file_id>/parts")
def post_parts(file_id: str) -> Response[str]:
    deps, partner_id = _caller()
    request = parse_body(app.current_event, PartsRequest)
    ticket = refresh_parts(partner_id, file_id, request, settings=deps.settings, files=deps.files, objects=deps.objects)
    return json_response(200, ticket)


@app.post("/uploads/<file_id>/complete")
def post_complete(file_id: str) -> Response[str]:
    deps, partner_id = _caller()
    request = parse_body(app.current_event, CompleteRequest)
    record = complete_upload(
        partner_id, file_id, request, settings=deps.settings, files=deps.files, objects=deps.objects
    )
    logger.info("multipart upload completed", extra={"file_id": record.file_id, "partner_id": partner_id})
    return json_response(200, record)


@app.delete("/uploads/<file_id>")
def delete_upload(file_id: str) -> Response[str]:
    deps, partner_id = _caller()
    record = cancel_upload(partner_id, file_id, settings=deps.settings, files=deps.files, objects=deps.objects)
    logger.info("upload cancelled", extra={"file_id": record.file_id, "partner_id": partner_id})
    return json_response(200, record)


@logger.inject_lambda_context(clear_state=True)
@publish_metrics
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    return app.resolve(event, context)
