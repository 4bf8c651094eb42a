"""``POST /files/{file_id}/reprocess``: send a quarantined or failed file through again."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.event_handler import APIGatewayRestResolver, Response
from aws_lambda_powertools.utilities.typing import LambdaContext

from ..api.requests import caller_partner
from ..api.responses import install_error_handlers, json_response
from ..api.schemas import FileView
from ..dependencies import dependencies
from ..observability import Metric, count, logger, publish_metrics
from ..reprocessing import reprocess_file

app = APIGatewayRestResolver()
install_error_handlers(app)


@app.post("/files/<file_id>/reprocess")
def post_reprocess(file_id: str) -> Response[str]:
    deps = dependencies()
    partner_id = caller_partner(app.current_event, deps.partners)
    logger.set_correlation_id(file_id)
    record = reprocess_file(
        partner_id, file_id, settings=deps.settings, files=deps.files, objects=deps.objects, events=deps.events
    )
    count(Metric.FILES_REPROCESSED)
    return json_response(202, FileView.of(record))


@logger.inject_lambda_context(clear_state=True)
@publish_metrics
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    return app.resolve(event, context)
