"""Alerts as an operator sees them: a local subscriber of the alerts topic that prints each
alert on standard error, one line each, cut to a bounded length.

It has a queue of its own on the topic (``<stack>-alerts-console``), so the
``alerts-inbox`` queue that tests and the demo read keeps every alert too. On AWS,
operators subscribe an e-mail address or a chat integration instead (docs/deploy.md).
"""

from __future__ import annotations

import json
import sys
from typing import Any, TextIO

from .ticking import Ticker

# Longer alert lines are cut here: alerts carry ids and codes, so this is a guard, not a format.
MAX_LINE = 500


def alert_line(body: str) -> str:
    """``alert: <event> <the alert as compact JSON>``, at most `MAX_LINE` characters, one line."""
    try:
        alert: Any = json.loads(body)
    except ValueError:
        alert = {"event": "unreadable"}
    event = str(alert.get("event", "?")) if isinstance(alert, dict) else "?"
    line = f"alert: {event} {json.dumps(alert, separators=(',', ':'), sort_keys=True)}"
    line = line.replace("\n", " ").replace("\r", " ")
    return line if len(line) <= MAX_LINE else line[: MAX_LINE - 3] + "..."


class AlertsConsole(Ticker):
    name = "alerts-console"

    def __init__(self, sqs: Any, *, queue_url: str, out: TextIO | None = None) -> None:
        """Print what arrives on ``queue_url``, a queue subscribed to the alerts topic
        (`provision.subscribe_queue`)."""
        super().__init__(every=0)  # each tick long-polls the queue for a second
        self._sqs = sqs
        self._out = out or sys.stderr
        self._url = queue_url

    def tick(self) -> None:
        received = self._sqs.receive_message(QueueUrl=self._url, MaxNumberOfMessages=10, WaitTimeSeconds=1)
        for message in received.get("Messages", []):
            print(alert_line(message["Body"]), file=self._out, flush=True)
            self._sqs.delete_message(QueueUrl=self._url, ReceiptHandle=message["ReceiptHandle"])
