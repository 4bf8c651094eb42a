"""``POST /uploads``: declare a file, get a presigned URL for its bytes."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools import Logger
from aws_lambda_powertools.event_handler import APIGatewayRestResolver, Response
from aws_lambda_powertools.utilities.typing import LambdaContext

from ..api.requests import caller_principal, parse_body
from ..api.responses import install_error_handlers, json_response
from ..api.schemas import UploadRequest
from ..dependencies import dependencies
from ..uploads import create_upload

logger = Logger(service="scalper")
app = APIGatewayRestResolver()
install_error_handlers(app)


@app.post("/uploads")
def post_upload() -> Response[str]:
    deps = dependencies()
    partner_id = deps.partners.partner_for(caller_principal(app.current_event))
    request = parse_body(app.current_event, UploadRequest)
    rules = deps.rules.for_partner(partner_id)
    ticket = create_upload(
        request, partner_id, settings=deps.settings, rules=rules, files=deps.files, objects=deps.objects
    )
    logger.info("upload declared", extra={"file_id": ticket.file_id, "partner_id": partner_id, "size": request.size})
    return json_response(201, ticket)


@logger.inject_lambda_context(clear_state=True)
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    return app.resolve(event, context)
