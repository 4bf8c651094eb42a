"""The files table in DynamoDB: one item per file, keyed by partner then file id.

Two global secondary indexes serve the listing, newest first, always within one partner:
``by_created`` (partner_id, created_at) and ``by_state`` (partner_state, created_at), where
``partner_state`` is ``"<partner>#<state>"``. State changes are conditional writes, which
is what makes at-least-once delivery process a file once.

A second kind of item makes a partner's (sha256, filename) unique: its sort key is
``duplicate_key(...)`` and it names the file that holds the pair. It is written in the
same transaction as that file's record, and lacks the index keys, so listings never see it.
"""

from __future__ import annotations

import json
import time
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

from boto3.dynamodb.types import TypeDeserializer, TypeSerializer

from ..errors import DuplicateRace, StateConflict, StoreError
from ..models import FileState
from ..records import FileRecord, timestamp
from .errors import AWS_ERRORS, error_code, store_error

BY_CREATED_INDEX = "by_created"
BY_STATE_INDEX = "by_state"
_SERIALIZER = TypeSerializer()
_DESERIALIZER = TypeDeserializer()
# BatchGetItem may leave keys unprocessed under load; they are asked for again this often.
_BATCH_ATTEMPTS = 5


def to_item(record: FileRecord) -> dict[str, Any]:
    """The DynamoDB item (attribute values) for a record."""
    data = record.model_dump(mode="json", exclude_none=True, exclude={"part_sha256"})
    data["partner_state"] = f"{record.partner_id}#{record.state.value}"
    # DynamoDB numbers are Decimals; JSON round-trip turns floats into them exactly.
    data = json.loads(json.dumps(data), parse_float=Decimal)
    item = {name: _SERIALIZER.serialize(value) for name, value in data.items()}
    if record.part_sha256:
        item["part_sha256"] = {"B": record.part_sha256}  # binary: base64 text would not fit 10,000 parts
    return item


def from_item(item: dict[str, Any]) -> FileRecord:
    """The record for a DynamoDB item."""
    data = {name: _DESERIALIZER.deserialize(value) for name, value in item.items()}
    data.pop("partner_state", None)
    if "part_sha256" in data:
        data["part_sha256"] = data["part_sha256"].value
    return FileRecord.model_validate(_plain(data))


def _plain(value: Any) -> Any:
    if isinstance(value, Decimal):
        return int(value) if value == value.to_integral_value() else float(value)
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_plain(v) for v in value]
    return value


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

    def holder_of(self, partner_id: str, unique_key: str) -> FileRecord | None:
        """The file that holds a (sha256, filename) name, read consistently, or ``None``."""
        try:
            response = self._client.get_item(
                TableName=self._table, Key=_key(partner_id, unique_key), ConsistentRead=True
            )
        except AWS_ERRORS as err:
            raise store_error("GetItem", err) from err
        item = response.get("Item")
        return self.get(partner_id, item["holder"]["S"]) if item else None

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

        Succeeds from ``pending_upload``, from a retryable ``failed``, or from a
        ``processing`` whose lease ran out (that attempt died). The returned record's
        ``attempts`` is the token the attempt must present to finish.

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
                "lease_expires_at = :lease, updated_at = :now, "
                "uploaded_at = if_not_exists(uploaded_at, :uploaded) REMOVE #error, part_sha256"
            ),
            condition="#state IN (:pending, :failed) OR (#state = :processing AND lease_expires_at < :now)",
            names={"#state": "state", "#error": "error"},
            values={
                ":processing": {"S": FileState.PROCESSING.value},
                ":pending": {"S": FileState.PENDING_UPLOAD.value},
                ":failed": {"S": FileState.FAILED.value},
                ":ps": {"S": f"{partner_id}#{FileState.PROCESSING.value}"},
                ":one": {"N": "1"},
                ":lease": {"S": timestamp(now + lease)},
                ":now": {"S": timestamp(now)},
                ":uploaded": {"S": timestamp(uploaded_at or now)},
            },
        )

    def finish(self, claimed: FileRecord, final: FileRecord) -> FileRecord:
        """Replace the record with its outcome, if the attempt still holds the claim.

        Raises:
            StateConflict: another attempt took the file over meanwhile.
        """
        try:
            self._client.put_item(
                TableName=self._table,
                Item=to_item(final),
                ConditionExpression="#state = :processing AND attempts = :attempt",
                ExpressionAttributeNames={"#state": "state"},
                ExpressionAttributeValues={
                    ":processing": {"S": FileState.PROCESSING.value},
                    ":attempt": {"N": str(claimed.attempts)},
                },
            )
        except AWS_ERRORS as err:
            if error_code(err) == "ConditionalCheckFailedException":
                raise _conflict("finish", None) from err
            raise store_error("PutItem", err) from err
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
        return self._update(
            "cancel",
            partner_id,
            file_id,
            update=(
                "SET #state = :cancelled, partner_state = :ps, updated_at = :now, finished_at = :now "
                "REMOVE part_sha256"
            ),
            condition=(
                "#state = :pending AND (attribute_not_exists(multipart) OR multipart.completed = :false)"
            ),
            names={"#state": "state"},
            values={
                ":cancelled": {"S": FileState.CANCELLED.value},
                ":pending": {"S": FileState.PENDING_UPLOAD.value},
                ":ps": {"S": f"{partner_id}#{FileState.CANCELLED.value}"},
                ":now": {"S": timestamp(now)},
                ":false": {"BOOL": False},
            },
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


def _key(partner_id: str, file_id: str) -> dict[str, Any]:
    return {"partner_id": {"S": partner_id}, "file_id": {"S": file_id}}


def _conflict(operation: str, current: FileRecord | None) -> StateConflict:
    return StateConflict(f"{operation}: file is not in a state that allows it", current=current)
