"""SQS batches of S3 ObjectCreated notifications -> one final state per file.

Partial batch failures are reported, so SQS redelivers only the messages that failed. The
records a batch has no time left for go back on the queue as new messages (see
``time_budget.TimeBudget``).
"""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.utilities.batch import BatchProcessor, EventType, process_partial_response
from aws_lambda_powertools.utilities.batch.exceptions import BatchProcessingError
from aws_lambda_powertools.utilities.batch.types import PartialItemFailureResponse
from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord
from aws_lambda_powertools.utilities.typing import LambdaContext

from ..dependencies import dependencies
from ..errors import BatchFailed
from ..log_fields import safe_description
from ..observability import logger, publish_metrics, traced
from ..time_budget import TimeBudget, process_or_defer

batch = BatchProcessor(event_type=EventType.SQS)


@logger.inject_lambda_context(clear_state=True)
@traced
@publish_metrics
def handler(event: dict[str, Any], context: LambdaContext) -> PartialItemFailureResponse:
    deps, budget = dependencies(), TimeBudget(context.get_remaining_time_in_millis)

    def process_record(record: SQSRecord) -> None:
        delivery = int(record.attributes.approximate_receive_count)
        process_or_defer(record.body, delivery, budget=budget, deps=deps)

    try:
        return process_partial_response(event=event, record_handler=process_record, processor=batch, context=context)
    except BatchProcessingError as err:
        # When every record fails, Powertools raises an error quoting each record's exception
        # and the Lambda runtime logs it; a library's message can quote file contents.
        raise BatchFailed("; ".join(safe_description(info[1]) for info in err.child_exceptions)) from None
