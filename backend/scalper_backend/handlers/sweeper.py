"""The scheduled sweep (an EventBridge rule): open files past their deadline move on."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.utilities.typing import LambdaContext

from ..dependencies import dependencies
from ..observability import logger, publish_metrics, traced


@logger.inject_lambda_context(clear_state=True)
@traced
@publish_metrics
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    summary = dependencies().sweeper.sweep(context.get_remaining_time_in_millis).summary()
    logger.info("sweep done", extra=summary)
    return summary
