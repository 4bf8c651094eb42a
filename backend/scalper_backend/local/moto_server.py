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
* **Connections stay open** (HTTP/1.1): moto's server closes each one after its answer,
  so every boto3 call of the stack paid a new loopback connection and server thread.
* **The list of moto's services is read once**, not from the disk on every request.
"""

from __future__ import annotations

import copy
import functools
import threading
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from typing import Any

from werkzeug.serving import WSGIRequestHandler

from .serving import BackgroundServer

# The services the stack uses: their moto apps are built before the server serves.
SERVICES = ("dynamodb", "s3", "sqs", "sns", "kms", "apigateway", "iam", "sts")
# Transactions run one at a time even outside this server (moto's backends used directly,
# as under mock_aws): each swaps the table class's copy for its length.
_TRANSACTIONS = threading.Lock()


class MotoServer(BackgroundServer):
    """moto's app with the changes above, served on a background thread."""

    thread_name = "moto"

    def __init__(self) -> None:
        from moto.moto_server.werkzeug_app import DomainDispatcherApplication, create_backend_app

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

    def request_handler(self) -> type[WSGIRequestHandler]:
        from moto.moto_server.werkzeug_app import MotoRequestHandler

        class KeepAlive(MotoRequestHandler):
            protocol_version = "HTTP/1.1"

        return KeepAlive


@functools.cache
def _patch_moto() -> None:
    """Once per process: the patches change moto's classes."""
    _read_the_service_list_once()
    _transactions_save_only_their_items()


def _read_the_service_list_once() -> None:
    from moto import backends
    from moto.core import responses, utils

    modules = tuple(backends.list_of_moto_modules())
    backends.list_of_moto_modules = lambda: modules
    # Each request also lists its response class's methods with inspect.getmembers.
    responses.method_names_from_class = functools.cache(utils.method_names_from_class)


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
