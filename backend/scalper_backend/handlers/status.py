"""``GET /files/{file_id}``, ``GET /files`` and ``GET /rules``: a partner's own records and rules."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.event_handler import APIGatewayRestResolver, Response
from aws_lambda_powertools.utilities.typing import LambdaContext

from ..api.queries import parse_list_query
from ..api.requests import caller_partner
from ..api.responses import install_error_handlers, json_response
from ..api.schemas import RulesView
from ..dependencies import dependencies
from ..listing import get_file, list_files
from ..observability import logger

app = APIGatewayRestResolver()
install_error_handlers(app)


@app.get("/files/<file_id>")
def get_one(file_id: str) -> Response[str]:
    deps = dependencies()
    partner_id = caller_partner(app.current_event, deps.partners)
    return json_response(200, get_file(deps.files, partner_id, file_id))


@app.get("/files")
def get_many() -> Response[str]:
    deps = dependencies()
    partner_id = caller_partner(app.current_event, deps.partners)
    query = parse_list_query(app.current_event.query_string_parameters)
    return json_response(200, list_files(deps.files, partner_id, query))


@app.get("/rules")
def get_rules() -> Response[str]:
    deps = dependencies()
    partner_id = caller_partner(app.current_event, deps.partners)
    return json_response(200, RulesView.of(deps.rules.for_partner(partner_id)))


@logger.inject_lambda_context(clear_state=True)
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    return app.resolve(event, context)
