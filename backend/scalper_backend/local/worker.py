"""One execution environment: a process that loads one handler and runs one event at a time.

``runtime.py`` starts it as ``python -m scalper_backend.local.worker`` with the function's
environment (the template's variables, the local AWS endpoints, Lambda's reserved
variables) and one end of a socket pair. Like Lambda's runtime it imports the handler once
(the cold start), then answers invocations until the socket closes. Standard output is the
parent's standard error, where the handlers' log lines belong.

Messages are JSON, one per ``send_bytes`` frame: the parent sends ``{"event", "request_id",
"deadline"}``, the worker answers ``{"result": ...}`` or ``{"error": {"type", "message"}}``;
its first frame is ``{"ready": true}`` or, when the import fails, an ``error``.
"""

from __future__ import annotations

import argparse
import importlib
import json
import sys
import traceback
from collections.abc import Callable
from multiprocessing.connection import Connection
from typing import Any

from .context import LocalContext
from .whole_lines import WholeLines


def _load(handler_path: str) -> Callable[[dict[str, Any], Any], Any]:
    module_name, _, attribute = handler_path.rpartition(".")
    handler: Callable[[dict[str, Any], Any], Any] = getattr(importlib.import_module(module_name), attribute)
    return handler


def _error(err: BaseException) -> dict[str, Any]:
    # What the Lambda runtime reports and logs of an unhandled exception: its type and
    # message (the handlers make sure their own exceptions quote no data) and the stack.
    print(
        json.dumps({"errorType": type(err).__name__, "stackTrace": traceback.format_tb(err.__traceback__)}),
        file=sys.stderr,
        flush=True,
    )
    return {"error": {"type": type(err).__name__, "message": str(err)[:1000]}}


Wrap = Callable[[Callable[[dict[str, Any], Any], Any]], Callable[[dict[str, Any], Any], Any]]


def serve(connection: Connection, handler_path: str, function: dict[str, Any], wrap: Wrap | None = None) -> int:
    """Load the handler, then run each event the parent sends until it hangs up.

    ``wrap`` (the faults') sees each event before the handler does."""
    try:
        handler = _load(handler_path)
        if wrap is not None:
            handler = wrap(handler)
    except Exception as err:
        connection.send_bytes(json.dumps(_error(err)).encode())
        return 1
    connection.send_bytes(b'{"ready": true}')
    while True:
        try:
            request = json.loads(connection.recv_bytes())
        except EOFError:
            return 0
        context = LocalContext.for_invocation(function, request["request_id"], request["deadline"])
        try:
            reply: dict[str, Any] = {"result": handler(request["event"], context)}
            frame = json.dumps(reply).encode()
        except Exception as err:
            frame = json.dumps(_error(err)).encode()
        connection.send_bytes(frame)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m scalper_backend.local.worker")
    parser.add_argument("--fd", type=int, required=True, help="this end of the socket pair to the parent")
    parser.add_argument("--handler", required=True, help="module.attribute, as the template's Handler")
    parser.add_argument("--function", required=True, help="JSON: name, arn, memory_mb")
    parser.add_argument("--faults", default="", help="JSON of the faults to inject (local/faults.py)")
    args = parser.parse_args(argv)
    # Every worker and the stack itself write to one standard error: a line in one write,
    # or a log line and another process's alert end up on one line (print writes the text
    # and its newline apart). Before the handler's loggers take hold of sys.stdout.
    sys.stdout = sys.stderr = WholeLines(sys.__stderr__ or sys.stderr)
    wrap = None
    if args.faults:
        # Only when asked: a worker without faults never imports the fault code. Before
        # the handler is loaded: its clients must be made with the fault hooks.
        from .faults import install_in_worker

        wrap = install_in_worker(args.faults)
    return serve(Connection(args.fd), args.handler, json.loads(args.function), wrap)


if __name__ == "__main__":
    sys.exit(main())
