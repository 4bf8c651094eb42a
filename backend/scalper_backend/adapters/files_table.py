"""The files table in DynamoDB: one item per file, keyed by partner then file id.

Two global secondary indexes serve the listing, newest first, always within one partner:
``by_created`` (partner_id, created_at) and ``by_state`` (partner_state, created_at), where
``partner_state`` is ``"<partner>#<state>"``. State changes are conditional writes, which
is what makes at-least-once delivery process a file once.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

from boto3.dynamodb.types import TypeDeserializer, TypeSerializer

from ..errors import StateConflict
from ..models import FileState
from ..records import FileRecord, timestamp
from .errors import AWS_ERRORS, error_code, store_error

BY_CREATED_INDEX = "by_created"
BY_STATE_INDEX = "by_state"
_SERIALIZER = TypeSerializer()
_DESERIALIZER = TypeDeserializer()


def to_item(record: FileRecord) -> dict[str, Any]:
    """The DynamoDB item (attribute values) for a record."""
    data = record.model_dump(mode="json", exclude_none=True)
    data["partner_state"] = f"{record.partner_id}#{record.state.value}"
    # DynamoDB numbers are Decimals; JSON round-trip turns floats into them exactly.
    data = json.loads(json.dumps(data), parse_float=Decimal)
    return {name: _SERIALIZER.serialize(value) for name, value in data.items()}


def from_item(item: dict[str, Any]) -> FileRecord:
    """The record for a DynamoDB item."""
    data = {name: _DESERIALIZER.deserialize(value) for name, value in item.items()}
    data.pop("partner_state", None)
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


class FilesTable:
    """Reads and conditional writes of file records."""

    def __init__(self, client: Any, table_name: str) -> None:
        self._client = client
        self._table = table_name

    def put_new(self, record: FileRecord) -> None:
        """Store a record that must not exist yet."""
        try:
            self._client.put_item(
                TableName=self._table,
                Item=to_item(record),
                ConditionExpression="attribute_not_exists(file_id)",
            )
        except AWS_ERRORS as err:
            raise store_error("PutItem", err) from err

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

    def list(
        self,
        partner_id: str,
        *,
        state: FileState | None,
        limit: int,
        start_key: dict[str, str] | None,
    ) -> Page:
        """One page of a partner's records, newest first, via an index Query."""
        if state is None:
            index, condition = BY_CREATED_INDEX, "partner_id = :p"
            values = {":p": {"S": partner_id}}
        else:
            index, condition = BY_STATE_INDEX, "partner_state = :p"
            values = {":p": {"S": f"{partner_id}#{state.value}"}}
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
        try:
            response = self._client.update_item(
                TableName=self._table,
                Key=_key(partner_id, file_id),
                UpdateExpression=(
                    "SET #state = :processing, partner_state = :ps, attempts = attempts + :one, "
                    "lease_expires_at = :lease, updated_at = :now, "
                    "uploaded_at = if_not_exists(uploaded_at, :uploaded) REMOVE #error"
                ),
                ConditionExpression=(
                    "attribute_exists(file_id) AND (#state IN (:pending, :failed) "
                    "OR (#state = :processing AND lease_expires_at < :now))"
                ),
                ExpressionAttributeNames={"#state": "state", "#error": "error"},
                ExpressionAttributeValues={
                    ":processing": {"S": FileState.PROCESSING.value},
                    ":pending": {"S": FileState.PENDING_UPLOAD.value},
                    ":failed": {"S": FileState.FAILED.value},
                    ":ps": {"S": f"{partner_id}#{FileState.PROCESSING.value}"},
                    ":one": {"N": "1"},
                    ":lease": {"S": timestamp(now + lease)},
                    ":now": {"S": timestamp(now)},
                    ":uploaded": {"S": timestamp(uploaded_at or now)},
                },
                ReturnValues="ALL_NEW",
                ReturnValuesOnConditionCheckFailure="ALL_OLD",
            )
        except AWS_ERRORS as err:
            if error_code(err) == "ConditionalCheckFailedException":
                old = getattr(err, "response", {}).get("Item")
                raise _conflict("claim", from_item(old) if old else None) from err
            raise store_error("UpdateItem", err) from err
        return from_item(response["Attributes"])

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


def _key(partner_id: str, file_id: str) -> dict[str, Any]:
    return {"partner_id": {"S": partner_id}, "file_id": {"S": file_id}}


def _conflict(operation: str, current: FileRecord | None) -> StateConflict:
    return StateConflict(f"{operation}: file is not in a state that allows it", current=current)
