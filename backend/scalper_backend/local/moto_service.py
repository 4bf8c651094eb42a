"""moto in a process of its own: the local stack's AWS.

moto in server mode is a threaded werkzeug app in whatever process starts it. Here it gets
a process (and so an interpreter lock) of its own, so that the gateways, the S3 edge and
the pollers do not queue behind it. ``MotoService`` starts ``python -m
scalper_backend.local.moto_service`` and reads the port it prints; the process serves
moto until it is terminated, with four changes, each for a reason that holds on AWS:

* **DynamoDB requests run one at a time.** DynamoDB applies a conditional write or a
  transaction atomically; moto checks the condition and writes in Python, so two threads
  can both pass the same condition (two claims of one file), and a cancelled transaction
  rolls its tables back to a copy taken before it, undoing the writes other threads made
  meanwhile. The processor's exactly-once rests on those conditions.
* **A transaction copies only the items it names.** moto copies each whole table a
  transaction touches, to roll back on failure: at 10,000 files every declaration copied
  20,000 items. The items named are saved and restored instead (with DynamoDB requests
  serialised nothing else can have changed them).
* **A queue's messages change under its lock.** SendMessage appends to a queue's message
  list under the queue's lock, but DeleteMessage rebuilt the list from a pass over it and
  assigned it without the lock: a delete that ran meanwhile was undone (its message left
  in flight, to be delivered again after the visibility timeout; 161 of 10,000 in a spike)
  and a message sent meanwhile could be dropped. SQS does neither.
* **Connections stay open** (HTTP/1.1): moto's server closes each one after its answer,
  and every boto3 call of the stack paid a new loopback connection and server thread.
* **The list of moto's services is read once**, not from the disk on every request.
* **A queue's attributes are computed as they are read.** moto computed every attribute
  of a queue, message counts included (a pass over all its messages), to read one of them
  on each SendMessage: with a backlog, each S3 notification cost O(backlog), and that was
  a third of moto's time in a 10,000-file spike.

It also answers the gateways' questions to the credential store under ``/_scalper/``
(``credential_store.py``): the state of an API key, the secret of an access key.
"""

from __future__ import annotations

import argparse
import copy
import functools
import json
import logging
import os
import subprocess
import sys
import threading
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager, suppress
from typing import Any

# Every server of the local stack listens on loopback only.
LOOPBACK = "127.0.0.1"
DEFAULT_REGION = "us-east-1"
# The services the stack uses: their moto apps are built before the process serves.
SERVICES = ("dynamodb", "s3", "sqs", "sns", "kms", "apigateway", "iam", "sts")


class MotoService:
    """The moto process: ``launch()`` starts it (it loads moto meanwhile), ``start()``
    waits until it serves and returns its endpoint, ``stop()`` ends it. This module
    imports nothing heavy, so that the CLI can launch it before its own imports."""

    def __init__(self, host: str, region: str) -> None:
        self._host = host
        self._region = region
        self._process: subprocess.Popen[str] | None = None
        self._endpoint = ""

    @property
    def pid(self) -> int | None:
        return self._process.pid if self._process else None

    def launch(self) -> MotoService:
        """Start the process, without waiting for it."""
        if self._process is None:
            # Its standard input stays open while this process lives: when it reads the
            # end of it (we stopped, or died without stopping it), it exits.
            self._process = subprocess.Popen(  # noqa: S603 - our own module, no shell
                [sys.executable, "-m", __name__, "--host", self._host, "--region", self._region],
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                text=True,
            )
        return self

    def start(self) -> str:
        """Launch the process if need be and wait until it serves; returns ``http://host:port``.

        Raises:
            OSError: the process exited before serving.
        """
        self.launch()
        assert self._process is not None and self._process.stdout is not None
        if not self._endpoint:
            line = self._process.stdout.readline()
            if not line.startswith("PORT="):
                self.stop()
                raise OSError("moto did not start (its errors are above)")
            self._endpoint = f"http://{self._host}:{int(line.removeprefix('PORT='))}"
        return self._endpoint

    def stop(self) -> None:
        if self._process is None:
            return
        if self._process.stdin:
            self._process.stdin.close()
        self._process.terminate()
        try:
            self._process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self._process.kill()
            self._process.wait()
        if self._process.stdout:
            self._process.stdout.close()
        self._process = None
        self._endpoint = ""


# -- the process


class _Service:
    """moto's app, with DynamoDB requests serialised, and the credential store's answers."""

    def __init__(self, moto_app: Callable[..., Iterable[bytes]], region: str) -> None:
        from . import credential_store

        self._credential_store = credential_store
        self._moto_app = moto_app
        self._region = region
        self._dynamodb = threading.Lock()

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        if environ.get("PATH_INFO", "").startswith(self._credential_store.PREFIX):
            return self._credential_store.serve(environ, start_response, self._region)
        if environ.get("HTTP_X_AMZ_TARGET", "").startswith("DynamoDB_"):
            with self._dynamodb:
                # The whole answer is built inside the lock: moto renders it lazily.
                return list(self._moto_app(environ, start_response))
        return self._moto_app(environ, start_response)


def _patch_moto() -> None:
    _read_the_service_list_once()
    _transactions_save_only_their_items()
    _retention_check_reads_one_attribute()
    _queue_attributes_computed_when_read()
    _deletes_hold_the_queue_lock()


def _read_the_service_list_once() -> None:
    from moto import backends
    from moto.core import responses, utils

    modules = tuple(backends.list_of_moto_modules())
    backends.list_of_moto_modules = lambda: modules
    # Each request also lists its response class's methods with inspect.getmembers.
    responses.method_names_from_class = functools.cache(utils.method_names_from_class)


def _retention_check_reads_one_attribute() -> None:
    """moto checks each message it delivers against the queue's retention period by
    computing every attribute of the queue, message counts included (a pass over all
    its messages): a receive from a queue of n messages cost O(n) per message."""
    from moto.core.utils import unix_time
    from moto.sqs.models import Message, SQSBackend

    def is_message_valid_based_on_retention_period(self: SQSBackend, queue_name: str, message: Message) -> bool:
        # moto sets each attribute on the queue as it is created or changed (snake_case).
        retention = int(getattr(self.get_queue(queue_name), "message_retention_period"))  # noqa: B009
        return bool(retention + message.sent_timestamp / 1000 > unix_time())  # type: ignore[operator]

    SQSBackend.is_message_valid_based_on_retention_period = is_message_valid_based_on_retention_period  # type: ignore[method-assign]


def _queue_attributes_computed_when_read() -> None:
    from collections.abc import Mapping

    from moto.core.utils import camelcase_to_underscores
    from moto.sqs.models import Queue

    class Attributes(Mapping[str, Any]):
        """``Queue.attributes`` as moto builds it, each value computed when it is read."""

        def __init__(self, queue: Queue) -> None:
            self._queue = queue
            names = list(queue.BASE_ATTRIBUTES)
            names += list(queue.FIFO_ATTRIBUTES) if queue.fifo_queue else []
            names += list(queue.KMS_ATTRIBUTES) if queue.kms_master_key_id else []  # type: ignore[attr-defined]
            names += ["Policy"] if queue.policy else []
            names += ["RedrivePolicy"] if queue.redrive_policy else []
            self._names = names

        def __getitem__(self, name: str) -> Any:
            if name not in self._names:
                raise KeyError(name)
            if name == "Policy":
                return self._queue.policy
            if name == "RedrivePolicy":
                return json.dumps(self._queue.redrive_policy)
            value = getattr(self._queue, camelcase_to_underscores(name))
            return str(value).lower() if isinstance(value, bool) else value

        def __iter__(self) -> Iterator[str]:
            return iter(self._names)

        def __len__(self) -> int:
            return len(self._names)

    Queue.attributes = property(Attributes)  # type: ignore[assignment,method-assign]


def _deletes_hold_the_queue_lock() -> None:
    from moto.sqs.models import Queue

    delete_message = Queue.delete_message

    def locked_delete_message(self: Queue, receipt_handle: str) -> None:
        with self._messages_lock:
            delete_message(self, receipt_handle)

    Queue.delete_message = locked_delete_message  # type: ignore[method-assign]


def _transactions_save_only_their_items() -> None:
    from moto.dynamodb.models import DynamoDBBackend
    from moto.dynamodb.models.table import Table

    original = DynamoDBBackend.transact_write_items

    def transact_write_items(self: DynamoDBBackend, transact_items: list[dict[str, Any]]) -> None:
        saved = [(table, key, copy.deepcopy(_item(table, key))) for table, key in _named_items(self, transact_items)]
        with _tables_copied_by_reference(Table):
            try:
                original(self, transact_items)
            except Exception:
                for table, key, item in saved:
                    _restore(table, key, item)
                raise

    DynamoDBBackend.transact_write_items = transact_write_items  # type: ignore[method-assign]


def _named_items(backend: Any, transact_items: list[dict[str, Any]]) -> Iterator[tuple[Any, tuple[Any, Any]]]:
    """Each (table, (hash key, range key)) a transaction names; the keys as moto stores them."""
    from moto.dynamodb.models.dynamo_type import DynamoType

    for entry in transact_items:
        for op in entry.values():
            table = backend.tables.get(op.get("TableName"))
            attrs = (op.get("Key") or op.get("Item") or {}) if table else {}
            if table is None or table.hash_key_attr not in attrs:
                continue
            range_value = attrs.get(table.range_key_attr) if table.range_key_attr else None
            yield table, (DynamoType(attrs[table.hash_key_attr]), DynamoType(range_value) if range_value else None)


def _item(table: Any, key: tuple[Any, Any]) -> Any:
    hash_key, range_key = key
    held = table.items.get(hash_key)
    return held.get(range_key) if range_key is not None and held is not None else held


def _restore(table: Any, key: tuple[Any, Any], item: Any) -> None:
    hash_key, range_key = key
    if range_key is None:
        holder, name = table.items, hash_key
    else:
        holder, name = table.items[hash_key], range_key
    if item is None:
        holder.pop(name, None)
    else:
        holder[name] = item


@contextmanager
def _tables_copied_by_reference(table_class: type) -> Iterator[None]:
    """moto's transaction deep-copies each table it touches; make that copy the table
    itself, for the length of one transaction (DynamoDB requests are serialised)."""
    table_class.__deepcopy__ = lambda table, memo: table  # type: ignore[attr-defined]
    try:
        yield
    finally:
        del table_class.__deepcopy__  # type: ignore[attr-defined]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m scalper_backend.local.moto_service")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--region", default="us-east-1", help="the region of the API keys the gateway checks")
    args = parser.parse_args(argv)
    from moto.moto_server.werkzeug_app import DomainDispatcherApplication, MotoRequestHandler, create_backend_app
    from werkzeug.serving import make_server

    logging.getLogger("werkzeug").setLevel(logging.WARNING)  # no line per request
    _patch_moto()

    class KeepAlive(MotoRequestHandler):
        protocol_version = "HTTP/1.1"

    dispatcher = DomainDispatcherApplication(create_backend_app)
    for service in SERVICES:  # built now rather than on each service's first request
        dispatcher.app_instances[service] = create_backend_app(service)  # type: ignore[arg-type]
    app = _Service(dispatcher, args.region)
    server = make_server(args.host, args.port, app, threaded=True, request_handler=KeepAlive)
    threading.Thread(target=_exit_with_parent, name="parent-watch", daemon=True).start()
    print(f"PORT={server.server_port}", flush=True)
    with suppress(KeyboardInterrupt):
        server.serve_forever()
    return 0


def _exit_with_parent() -> None:
    """Exit once standard input ends: the stack that started us has stopped or died."""
    while sys.stdin.read(4096):
        pass
    os._exit(0)


if __name__ == "__main__":
    sys.exit(main())
