"""moto in server mode, as the local stack runs it: the stack's AWS.

moto's own ``ThreadedMotoServer`` serves its app as is. This server serves it with these
changes, each for a reason that holds on AWS or that only costs time:

* **DynamoDB requests run one at a time.** DynamoDB applies a conditional write or a
  transaction atomically; moto checks the condition and then writes, in Python, so two
  threads could both pass the same condition (two claims of one file). The processor's
  exactly-once rests on those conditions.
* **A transaction saves only the items it names.** moto deep-copies each whole table a
  transaction touches, to roll back if it is cancelled: every declaration (a record and
  its name holder, one transaction) copied the files table twice, so a declaration grew
  slower with every file the stack held. The named items are saved and restored instead;
  with DynamoDB requests one at a time nothing else can have changed them, and a
  cancelled transaction no longer undoes writes other requests made meanwhile.
* **Connections stay open** (HTTP/1.1, served by waitress): moto's werkzeug server closes
  each one after its answer, so every boto3 call of the stack paid a new loopback
  connection and server thread.
* **The list of moto's services is read once**, not from the disk on every request.
* **A queue's messages change under its lock.** SendMessage appends to a queue's message
  list under the queue's lock, but DeleteMessage rebuilt the list from a pass over it and
  assigned it without the lock: a delete that ran meanwhile was undone (its message left
  in flight, to be delivered again after the visibility timeout; 161 of 10,000 in a spike)
  and a message sent meanwhile could be dropped. SQS does neither. And a queue's receives
  take turns: two at once could both take the same message.
* **A queue's attributes are computed as they are read.** moto computed every attribute
  of a queue, message counts included (a pass over all its messages), to read one of them
  on each SendMessage and on each message it delivered (the retention check): with a
  backlog, each S3 notification cost O(backlog), a third of moto's time in a 10,000-file
  spike.
"""

from __future__ import annotations

import copy
import functools
import json
import threading
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from typing import Any

from .serving import PooledServer

# The services the stack uses: their moto apps are built before the server serves.
SERVICES = ("dynamodb", "s3", "sqs", "sns", "kms", "apigateway", "iam", "sts")
# Transactions run one at a time even outside this server (moto's backends used directly,
# as under mock_aws): each swaps the table class's copy for its length.
_TRANSACTIONS = threading.Lock()


class MotoServer(PooledServer):
    """moto's app with the changes above, served on a background thread."""

    thread_name = "moto"

    def __init__(self) -> None:
        from moto.moto_server.werkzeug_app import DomainDispatcherApplication, create_backend_app

        super().__init__()
        _patch_moto()
        self._dispatcher = DomainDispatcherApplication(create_backend_app)
        for service in SERVICES:  # built now rather than on each service's first request
            self._dispatcher.app_instances[service] = create_backend_app(service)  # type: ignore[arg-type]
        self._dynamodb = threading.Lock()

    def wsgi_app(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        if environ.get("HTTP_X_AMZ_TARGET", "").startswith("DynamoDB_"):
            with self._dynamodb:
                # The whole answer is built inside the lock: moto renders it lazily.
                return list(self._dispatcher(environ, start_response))
        return self._dispatcher(environ, start_response)


@functools.cache
def _patch_moto() -> None:
    """Once per process: the patches change moto's classes."""
    _read_the_service_list_once()
    _transactions_save_only_their_items()
    _retention_check_reads_one_attribute()
    _queue_attributes_computed_when_read()
    _deletes_hold_the_queue_lock()
    _receives_take_turns()


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


def _receives_take_turns() -> None:
    """moto's ReceiveMessage checks that a message is visible and then marks it received:
    two receives at once could both take it, a message delivered twice within its
    visibility timeout, which SQS does only on the rare occasions its documentation
    names. A queue's receives take turns; one waiting for messages (long polling) lets
    the others go meanwhile."""
    from moto.sqs.models import Queue, SQSBackend

    receive_message = SQSBackend.receive_message
    wait_for_messages = Queue.wait_for_messages

    def turn(queue: Queue) -> threading.Lock:
        lock: threading.Lock = queue.__dict__.setdefault("_scalper_receives", threading.Lock())  # atomic
        return lock

    def locked_receive_message(self: SQSBackend, queue_name: str, *args: Any, **kwargs: Any) -> Any:
        with turn(self.get_queue(queue_name)):
            return receive_message(self, queue_name, *args, **kwargs)

    def waiting_without_the_turn(self: Queue, timeout: int) -> None:
        # Only ReceiveMessage waits (so the turn is held here).
        turn(self).release()
        try:
            wait_for_messages(self, timeout)
        finally:
            turn(self).acquire()

    SQSBackend.receive_message = locked_receive_message  # type: ignore[method-assign]
    Queue.wait_for_messages = waiting_without_the_turn  # type: ignore[method-assign]


def _transactions_save_only_their_items() -> None:
    from moto.dynamodb.models import DynamoDBBackend
    from moto.dynamodb.models.table import Table

    original = DynamoDBBackend.transact_write_items

    def transact_write_items(self: DynamoDBBackend, transact_items: list[dict[str, Any]]) -> None:
        with _TRANSACTIONS, _tables_copied_by_reference(Table):
            saved = [(t, key, copy.deepcopy(_item(t, key))) for t, key in _named_items(self, transact_items)]
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
    itself, for the length of one transaction (transactions run one at a time)."""
    table_class.__deepcopy__ = lambda table, memo: table  # type: ignore[attr-defined]
    try:
        yield
    finally:
        del table_class.__deepcopy__  # type: ignore[attr-defined]
