"""What operators get on AWS from EventBridge, SNS subscriptions, dashboards and deploys,
stood in for on the local stack: the scheduled functions on timers, a subscriber that
prints alerts, the running summary line, and the rules watcher (a rules edit as a deploy).

Kept apart from ``stack.py``, which wires the API gateways, the queue pollers and the
functions' processes: the stack calls `start_operations` once its resources exist.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from ..config import DEFAULT_RULES_FILE
from .alerts_console import AlertsConsole
from .provision import Provisioned, subscribe_queue
from .rules_watch import RulesWatcher
from .runtime import LocalFunction
from .schedules import ScheduleTimer
from .summary import SummaryReporter
from .template import Template
from .ticking import Ticker


def start_operations(
    template: Template,
    resources: Provisioned,
    clients: dict[str, Any],
    functions: dict[str, LocalFunction],
    *,
    sweep_interval: float | None,
    summary_interval: float,
    rules_file: Path | None,
) -> list[Ticker]:
    """Start the stand-ins; returns them, for the stack to stop.

    Args:
        sweep_interval: seconds between runs of each scheduled function (``None``: the
            template's rate).
        summary_interval: seconds between summary lines (0: none).
        rules_file: the rules file to watch (``None``: the packaged one).
    """
    services: list[Ticker] = [
        ScheduleTimer(source, functions[source.function], region=template.region, every=sweep_interval)
        for source in template.schedule_sources()
    ]
    services.append(
        AlertsConsole(
            clients["sqs"],
            queue_url=subscribe_queue(
                clients["sqs"], clients["sns"], resources.names["AlertsTopic"], f"{template.stack_name}-alerts-console"
            ),
        )
    )
    if summary_interval > 0:
        services.append(
            SummaryReporter(
                clients["dynamodb"],
                clients["sqs"],
                files_table=resources.names["FilesTable"],
                queue_url=resources.queue_urls["UploadEventsQueue"],
                dead_letter_url=resources.queue_urls["UploadEventsDeadLetterQueue"],
                every=summary_interval,
            )
        )

    def redeploy() -> None:
        for function in functions.values():
            function.redeploy()

    # The file the functions load: RULES_FILE, which the stack sets from its `rules_file`
    # (its workers inherit no other), or the packaged one.
    services.append(RulesWatcher(rules_file or DEFAULT_RULES_FILE, redeploy=redeploy))
    for service in services:
        service.start()
    return services
