"""File records as DynamoDB items, and back."""

from __future__ import annotations

import json
from decimal import Decimal
from typing import Any

from boto3.dynamodb.types import TypeDeserializer, TypeSerializer

from ..records import FileRecord, due_shard

_SERIALIZER = TypeSerializer()
_DESERIALIZER = TypeDeserializer()


def to_item(record: FileRecord) -> dict[str, Any]:
    """The DynamoDB item (attribute values) for a record."""
    data = record.model_dump(mode="json", exclude_none=True, exclude={"part_sha256"})
    data["partner_state"] = f"{record.partner_id}#{record.state.value}"
    # With due_at, the sparse key of the sweeper's index (an item lacking due_at is not in it).
    data["due_shard"] = due_shard(record.file_id)
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
    data.pop("due_shard", None)
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
