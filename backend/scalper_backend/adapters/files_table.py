"""The files table in DynamoDB: one item per file, keyed by partner then file id.

Two global secondary indexes serve the listing, newest first, always within one partner:
``by_created`` (partner_id, created_at) and ``by_state`` (partner_state, created_at), where
``partner_state`` is ``"<partner>#<state>"``. State changes are conditional writes, which
is what makes at-least-once delivery process a file once. A third, ``by_due`` (``due_shard``,
``due_at``), is sparse: it holds the open records (pending, processing) by the time the
sweeper must look at them, across partners.

A second kind of item makes a partner's (sha256, filename) unique: its sort key is
``duplicate_key(...)`` and it names the file that holds the pair. It is written in the
same transaction as that file's record, and lacks the index keys, so listings never see it.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from ..errors import DuplicateRace, StateConflict, StoreError
from ..models import FileState
from ..records import Attempt, FileRecord, ProcessingError, due_shard, timestamp
from .errors import AWS_ERRORS, error_code, store_error
from .file_items import from_item, to_item

BY_CREATED_INDEX = "by_created"
BY_STATE_INDEX = "by_state"
BY_DUE_INDEX = "by_due"
# BatchGetItem may leave keys unprocessed under load; they are asked for again this often.
_BATCH_ATTEMPTS = 5


@dataclass(frozen=True)
class Page:
    records: list[FileRecord]
    last_key: dict[str, str] | None


@dataclass(frozen=True)
class TimeRange:
    """``created_at`` bounds for a listing, as fixed-width timestamps; either may be open."""

    start: str | None = None  # inclusive
    end: str | None = None  # inclusive


@dataclass(frozen=True)
class UniqueName:
    """The (sha256, filename) a new record takes, and the file that held it before, if any."""

    key: str
    replacing: str | None = None


class FilesTable:
    """Reads and conditional writes of file records."""

    def __init__(self, client: Any, table_name: str) -> None:
        self._client = client
        self._table = table_name

    def put_new(self, record: FileRecord, *, unique: UniqueName | None = None) -> None:
        """Store a record that must not exist yet, and with ``unique``, take its name.

        Both items are written in one transaction, so two concurrent declarations of the
        same (sha256, filename) cannot both succeed.

        Raises:
            DuplicateRace: another file holds the name now (it did not when ``unique`` was
                made, or it was not ``unique.replacing``).
        """
        put = {
            "TableName": self._table,
            "Item": to_item(record),
            "ConditionExpression": "attribute_not_exists(file_id)",
        }
        if unique is None:
            try:
                self._client.put_item(**put)
            except AWS_ERRORS as err:
                raise store_error("PutItem", err) from err
            return
        try:
            self._client.transact_write_items(TransactItems=[{"Put": put}, {"Put": self._name_put(record, unique)}])
        except AWS_ERRORS as err:
            if error_code(err) == "TransactionCanceledException":
                raise DuplicateRace("another file took this sha256 and filename") from err
            raise store_error("TransactWriteItems", err) from err

    def _name_put(self, record: FileRecord, unique: UniqueName) -> dict[str, Any]:
        condition, values = "attribute_not_exists(file_id)", {}
        if unique.replacing:
            condition, values = "holder = :replaced", {":replaced": {"S": unique.replacing}}
        return {
            "TableName": self._table,
            "Item": {**_key(record.partner_id, unique.key), "holder": {"S": record.file_id}},
            "ConditionExpression": condition,
            **({"ExpressionAttributeValues": values} if values else {}),
        }

    def name_holder(self, partner_id: str, unique_key: str) -> str | None:
        """The id of the file that holds a (sha256, filename) name, read consistently."""
        try:
            response = self._client.get_item(
                TableName=self._table, Key=_key(partner_id, unique_key), ConsistentRead=True
            )
        except AWS_ERRORS as err:
            raise store_error("GetItem", err) from err
        item = response.get("Item")
        return str(item["holder"]["S"]) if item else None

    def get(self, partner_id: str, file_id: str) -> FileRecord | None:
        """The record, or ``None``; a file of another partner is simply not found."""
        try:
            response = self._client.get_item(
                TableName=self._table,
                Key=_key(partner_id, file_id),
                ConsistentRead=True,
            )
        except AWS_ERRORS as err:
            raise store_error("GetItem", err) from err
        item = response.get("Item")
        return from_item(item) if item else None

    def get_many(self, partner_id: str, file_ids: Sequence[str]) -> list[FileRecord]:
        """The partner's records among ``file_ids`` (at most 100, no repeats), read
        consistently; ids of no file of this partner are simply absent.

        Raises:
            StoreError: DynamoDB failed, or kept keys unprocessed after several attempts.
        """
        request = {self._table: {"Keys": [_key(partner_id, f) for f in file_ids], "ConsistentRead": True}}
        items: list[dict[str, Any]] = []
        for attempt in range(_BATCH_ATTEMPTS):
            try:
                response = self._client.batch_get_item(RequestItems=request)
            except AWS_ERRORS as err:
                raise store_error("BatchGetItem", err) from err
            items += response.get("Responses", {}).get(self._table, [])
            request = response.get("UnprocessedKeys") or {}
            if not request:
                return [from_item(item) for item in items]
            time.sleep(0.05 * 2**attempt)  # AWS asks for backoff before asking again
        raise StoreError("BatchGetItem failed: keys still unprocessed")

    def list(
        self,
        partner_id: str,
        *,
        state: FileState | None,
        limit: int,
        start_key: dict[str, str] | None,
        created: TimeRange = TimeRange(),  # frozen, so one shared default is safe
    ) -> Page:
        """One page of a partner's records, newest first, via an index Query."""
        if state is None:
            index, condition = BY_CREATED_INDEX, "partner_id = :p"
            values = {":p": {"S": partner_id}}
        else:
            index, condition = BY_STATE_INDEX, "partner_state = :p"
            values = {":p": {"S": f"{partner_id}#{state.value}"}}
        condition += _created_condition(created, values)
        params: dict[str, Any] = {
            "TableName": self._table,
            "IndexName": index,
            "KeyConditionExpression": condition,
            "ExpressionAttributeValues": values,
            "ScanIndexForward": False,
            "Limit": limit,
        }
        if start_key:
            params["ExclusiveStartKey"] = {k: {"S": v} for k, v in start_key.items()}
        try:
            response = self._client.query(**params)
        except AWS_ERRORS as err:
            raise store_error("Query", err) from err
        last = response.get("LastEvaluatedKey")
        return Page(
            records=[from_item(item) for item in response.get("Items", [])],
            last_key={k: v["S"] for k, v in last.items()} if last else None,
        )

    def claim(
        self,
        partner_id: str,
        file_id: str,
        *,
        now: datetime,
        lease: timedelta,
        uploaded_at: datetime | None = None,
    ) -> FileRecord:
        """Move a file into ``processing`` for one attempt.

        ``uploaded_at`` (when S3 stored the bytes; ``now`` if unknown) is kept from the
        first attempt.

        Succeeds from ``pending_upload``, from ``failed``, from a ``processing`` that no
        attempt holds (queued for reprocessing), or from a ``processing`` whose lease ran
        out (that attempt died). The returned record's ``attempts`` is the token the
        attempt must present to finish; its lease is also when the sweeper looks again.

        Raises:
            StateConflict: the file is final, held by a live attempt, or unknown; the
                exception's ``current`` is the record as found (``None`` when unknown).
        """
        return self._update(
            "claim",
            partner_id,
            file_id,
            # The part checksums served the upload; processing re-checks the whole file.
            update=(
                "SET #state = :processing, partner_state = :ps, attempts = attempts + :one, "
                "lease_expires_at = :lease, due_at = :lease, due_shard = :shard, updated_at = :now, "
                "uploaded_at = if_not_exists(uploaded_at, :uploaded) REMOVE #error, part_sha256"
            ),
            condition=(
                "#state IN (:pending, :failed) OR (#state = :processing AND "
                "(attribute_not_exists(lease_expires_at) OR lease_expires_at < :now))"
            ),
            names={"#state": "state", "#error": "error"},
            values={
                ":processing": {"S": FileState.PROCESSING.value},
                ":pending": {"S": FileState.PENDING_UPLOAD.value},
                ":failed": {"S": FileState.FAILED.value},
                ":ps": {"S": f"{partner_id}#{FileState.PROCESSING.value}"},
                ":one": {"N": "1"},
                ":lease": {"S": timestamp(now + lease)},
                ":shard": {"S": due_shard(file_id)},
                ":now": {"S": timestamp(now)},
                ":uploaded": {"S": timestamp(uploaded_at or now)},
            },
        )

    def finish(self, claimed: FileRecord, final: FileRecord) -> FileRecord:
        """Replace the record with its outcome, if the attempt still holds the claim.

        Raises:
            StateConflict: another attempt took the file over meanwhile.
        """
        self._put_if(
            final,
            "#state = :processing AND attempts = :attempt",
            {":processing": {"S": FileState.PROCESSING.value}, ":attempt": {"N": str(claimed.attempts)}},
            conflict=_conflict("finish", None),
        )
        return final

    def mark_completed(self, partner_id: str, file_id: str) -> FileRecord:
        """Note that S3 assembled the file's multipart upload; returns the record."""
        return self._update(
            "UpdateItem",
            partner_id,
            file_id,
            update="SET multipart.completed = :true",
            condition="attribute_exists(multipart)",
            values={":true": {"BOOL": True}},
        )

    def cancel(self, partner_id: str, file_id: str, *, now: datetime) -> FileRecord:
        """``pending_upload`` -> ``cancelled``, unless the bytes are already in.

        Raises:
            StateConflict: the file is in another state, or its multipart upload was
                completed; ``current`` is the record as found (``None`` when unknown).
        """
        return self._close_declaration("cancel", partner_id, file_id, FileState.CANCELLED, now=now)

    def keep_open(self, partner_id: str, file_id: str, *, due: datetime) -> None:
        """Push a pending upload's sweep deadline out to ``due`` (fresh URLs were issued);
        a later deadline already set is kept, and a file no longer pending is left alone."""
        try:
            self._client.update_item(
                TableName=self._table,
                Key=_key(partner_id, file_id),
                UpdateExpression="SET due_at = :due",
                ConditionExpression="#state = :pending AND (attribute_not_exists(due_at) OR due_at < :due)",
                ExpressionAttributeNames={"#state": "state"},
                ExpressionAttributeValues={
                    ":due": {"S": timestamp(due)},
                    ":pending": {"S": FileState.PENDING_UPLOAD.value},
                },
            )
        except AWS_ERRORS as err:
            if error_code(err) != "ConditionalCheckFailedException":
                raise store_error("UpdateItem", err) from err

    def due(
        self, shard: str, *, now: datetime, start_key: dict[str, Any] | None = None
    ) -> tuple[Sequence[FileRecord], Any]:
        """One page of the open records of a shard of ``by_due`` whose deadline has passed,
        oldest deadline first, and the key to continue from (``None`` at the end). The
        index is eventually consistent: every write that acts on a record checks it again."""
        params: dict[str, Any] = {
            "TableName": self._table,
            "IndexName": BY_DUE_INDEX,
            "KeyConditionExpression": "due_shard = :shard AND due_at <= :now",
            "ExpressionAttributeValues": {":shard": {"S": shard}, ":now": {"S": timestamp(now)}},
            "Limit": 100,
        }
        if start_key:
            params["ExclusiveStartKey"] = start_key
        try:
            response = self._client.query(**params)
        except AWS_ERRORS as err:
            raise store_error("Query", err) from err
        return [from_item(item) for item in response.get("Items", [])], response.get("LastEvaluatedKey")

    def expire(self, seen: FileRecord, *, now: datetime) -> FileRecord:
        """``pending_upload`` -> ``expired``, if nothing changed since ``seen`` was read and
        the bytes never all arrived.

        Raises:
            StateConflict: the record changed (an upload, a cancel, fresh URLs).
        """
        return self._close_declaration(
            "expire", seen.partner_id, seen.file_id, FileState.EXPIRED, now=now, due=_due(seen)
        )

    def postpone(self, seen: FileRecord, *, due: datetime) -> FileRecord:
        """Move an open record's deadline to ``due``, if it is still as ``seen``.

        Raises:
            StateConflict: the record changed meanwhile.
        """
        return self._update(
            "postpone",
            seen.partner_id,
            seen.file_id,
            update="SET due_at = :new",
            condition="#state = :state AND due_at = :due",
            names={"#state": "state"},
            values={
                ":new": {"S": timestamp(due)},
                ":state": {"S": seen.state.value},
                ":due": {"S": timestamp(_due(seen))},
            },
        )

    def fail_abandoned(
        self,
        seen: FileRecord,
        *,
        now: datetime,
        error: ProcessingError,
        history: Sequence[Attempt],
        due: datetime | None,
    ) -> FileRecord:
        """``processing`` -> ``failed`` for an attempt whose lease ran out (or a reprocess
        that never started), if nothing changed since ``seen`` was read. With ``due`` (a
        retry), the record stays in the sweeper's index until an attempt takes it.

        Raises:
            StateConflict: the record changed (the attempt finished, another took over).
        """
        failed = {"code": {"S": error.code}, "message": {"S": error.message}, "retryable": {"BOOL": error.retryable}}
        entries = to_item(seen.model_copy(update={"history": list(history)}))["history"]
        deadline = ", due_at = :next REMOVE lease_expires_at" if due else " REMOVE lease_expires_at, due_at"
        return self._update(
            "fail",
            seen.partner_id,
            seen.file_id,
            update=(
                "SET #state = :failed, partner_state = :ps, updated_at = :now, #error = :error, history = :history"
                + deadline
            ),
            condition="#state = :processing AND attempts = :attempt AND due_at = :due",
            names={"#state": "state", "#error": "error"},
            values={
                ":failed": {"S": FileState.FAILED.value},
                ":processing": {"S": FileState.PROCESSING.value},
                ":ps": {"S": f"{seen.partner_id}#{FileState.FAILED.value}"},
                ":now": {"S": timestamp(now)},
                ":error": {"M": failed},
                ":history": entries,
                ":attempt": {"N": str(seen.attempts)},
                ":due": {"S": timestamp(_due(seen))},
                **({":next": {"S": timestamp(due)}} if due else {}),
            },
        )

    def queue_again(self, seen: FileRecord, *, now: datetime, due: datetime) -> FileRecord:
        """``quarantined`` or ``failed`` -> ``processing``, queued (no attempt holds it), if
        the record is still as ``seen``: the previous outcome leaves the record (its
        history keeps a summary), and the sweeper looks again at ``due``.

        Raises:
            StateConflict: the record changed meanwhile (another reprocess won).
        """
        return self._update(
            "reprocess",
            seen.partner_id,
            seen.file_id,
            update=(
                "SET #state = :processing, partner_state = :ps, updated_at = :now, due_at = :due, "
                "due_shard = :shard, reasons = :none "
                "REMOVE lease_expires_at, finished_at, quarantine, #output, #error, details"
            ),
            condition="#state = :seen AND updated_at = :updated",
            names={"#state": "state", "#error": "error", "#output": "output"},
            values={
                ":processing": {"S": FileState.PROCESSING.value},
                ":ps": {"S": f"{seen.partner_id}#{FileState.PROCESSING.value}"},
                ":now": {"S": timestamp(now)},
                ":due": {"S": timestamp(due)},
                ":shard": {"S": due_shard(seen.file_id)},
                ":none": {"L": []},
                ":seen": {"S": seen.state.value},
                ":updated": {"S": timestamp(seen.updated_at)},
            },
        )

    def restore(self, current: FileRecord, previous: FileRecord) -> None:
        """Put ``previous`` back, if the record is still ``current`` (undo a step whose
        side effect failed); a record that moved on meanwhile is left as it is."""
        self._put_if(
            previous,
            "#state = :state AND updated_at = :updated",
            {":state": {"S": current.state.value}, ":updated": {"S": timestamp(current.updated_at)}},
            conflict=None,
        )

    def _put_if(
        self, record: FileRecord, condition: str, values: dict[str, Any], *, conflict: StateConflict | None
    ) -> None:
        """Put ``record`` if the item meets ``condition`` (``#state`` names its state); if it
        does not, raise ``conflict``, or, given none, leave the item as it is.

        Raises:
            StateConflict: ``conflict``, when the condition failed.
            StoreError: DynamoDB failed.
        """
        try:
            self._client.put_item(
                TableName=self._table,
                Item=to_item(record),
                ConditionExpression=condition,
                ExpressionAttributeNames={"#state": "state"},
                ExpressionAttributeValues=values,
            )
        except AWS_ERRORS as err:
            if error_code(err) != "ConditionalCheckFailedException":
                raise store_error("PutItem", err) from err
            if conflict is not None:
                raise conflict from err

    def _close_declaration(
        self,
        operation: str,
        partner_id: str,
        file_id: str,
        state: FileState,
        *,
        now: datetime,
        due: datetime | None = None,
    ) -> FileRecord:
        """``pending_upload`` -> ``state`` (final), unless a multipart upload was completed;
        with ``due``, only if the declaration's deadline is still that one."""
        values = {
            ":closed": {"S": state.value},
            ":pending": {"S": FileState.PENDING_UPLOAD.value},
            ":ps": {"S": f"{partner_id}#{state.value}"},
            ":now": {"S": timestamp(now)},
            ":false": {"BOOL": False},
        }
        same_deadline = ""
        if due is not None:
            values[":due"] = {"S": timestamp(due)}
            same_deadline = "due_at = :due AND "
        return self._update(
            operation,
            partner_id,
            file_id,
            update=(
                "SET #state = :closed, partner_state = :ps, updated_at = :now, finished_at = :now "
                "REMOVE part_sha256, due_at"
            ),
            condition=(
                f"#state = :pending AND {same_deadline}"
                "(attribute_not_exists(multipart) OR multipart.completed = :false)"
            ),
            names={"#state": "state"},
            values=values,
        )

    def _update(
        self,
        operation: str,
        partner_id: str,
        file_id: str,
        *,
        update: str,
        condition: str,
        values: dict[str, Any],
        names: dict[str, str] | None = None,
    ) -> FileRecord:
        """A conditional UpdateItem of an existing record; returns the record after it."""
        try:
            response = self._client.update_item(
                TableName=self._table,
                Key=_key(partner_id, file_id),
                UpdateExpression=update,
                ConditionExpression=f"attribute_exists(file_id) AND ({condition})",
                ExpressionAttributeValues=values,
                **({"ExpressionAttributeNames": names} if names else {}),
                ReturnValues="ALL_NEW",
                ReturnValuesOnConditionCheckFailure="ALL_OLD",
            )
        except AWS_ERRORS as err:
            if error_code(err) == "ConditionalCheckFailedException":
                old = getattr(err, "response", {}).get("Item")
                raise _conflict(operation, from_item(old) if old else None) from err
            raise store_error("UpdateItem", err) from err
        return from_item(response["Attributes"])


def _created_condition(created: TimeRange, values: dict[str, Any]) -> str:
    """The sort-key part of a listing's key condition (and its values)."""
    if created.start and created.end:
        values.update({":start": {"S": created.start}, ":end": {"S": created.end}})
        return " AND created_at BETWEEN :start AND :end"
    if created.start:
        values[":start"] = {"S": created.start}
        return " AND created_at >= :start"
    if created.end:
        values[":end"] = {"S": created.end}
        return " AND created_at <= :end"
    return ""


def _due(record: FileRecord) -> datetime:
    if record.due_at is None:
        raise ValueError(f"record {record.file_id} has no deadline")
    return record.due_at


def _key(partner_id: str, file_id: str) -> dict[str, Any]:
    return {"partner_id": {"S": partner_id}, "file_id": {"S": file_id}}


def _conflict(operation: str, current: FileRecord | None) -> StateConflict:
    return StateConflict(f"{operation}: file is not in a state that allows it", current=current)
