"""S3 event notifications as they arrive in SQS message bodies."""

from __future__ import annotations

import json
from datetime import datetime
from urllib.parse import quote_plus, unquote_plus

from pydantic import BaseModel, ValidationError


class S3ObjectRef(BaseModel):
    bucket: str
    key: str
    size: int | None = None
    # When S3 stored the object: the upload time, as opposed to when we got to it.
    event_time: datetime | None = None


class _Object(BaseModel):
    key: str
    size: int | None = None


class _Bucket(BaseModel):
    name: str


class _S3(BaseModel):
    bucket: _Bucket
    object: _Object


class _Record(BaseModel):
    eventName: str  # noqa: N815 - the AWS field name
    eventTime: datetime | None = None  # noqa: N815
    s3: _S3


class _Notification(BaseModel):
    Records: list[_Record]


def created_objects(body: str) -> list[S3ObjectRef]:
    """The objects an SQS message body says were created.

    S3's one-off ``s3:TestEvent`` (sent when notifications are configured) and anything
    that is not an ObjectCreated notification yield no objects. Keys arrive URL-encoded
    (a space as ``+``) and are decoded here.

    Raises:
        ValueError: the body is not JSON of a shape we know.
    """
    data = json.loads(body)
    if isinstance(data, dict) and data.get("Event") == "s3:TestEvent":
        return []
    try:
        notification = _Notification.model_validate(data)
    except ValidationError as err:
        raise ValueError("not an S3 event notification") from err
    return [
        S3ObjectRef(
            bucket=r.s3.bucket.name, key=unquote_plus(r.s3.object.key), size=r.s3.object.size, event_time=r.eventTime
        )
        for r in notification.Records
        if r.eventName.startswith("ObjectCreated:")
    ]


# What the sweeper and reprocessing put on the queue to have an object processed again:
# S3's own notification shape (so the processor has one path), told apart by its source.
REQUEUE_SOURCE = "scalper:requeue"


def requeue_notification(ref: S3ObjectRef, now: datetime) -> str:
    """The message body that asks the processor to take ``ref`` again."""
    record = {
        "eventVersion": "2.1",
        "eventSource": REQUEUE_SOURCE,
        "eventTime": now.isoformat().replace("+00:00", "Z"),
        "eventName": "ObjectCreated:Requeue",
        "s3": {
            "bucket": {"name": ref.bucket},
            "object": {"key": quote_plus(ref.key, safe="/"), **({"size": ref.size} if ref.size is not None else {})},
        },
    }
    return json.dumps({"Records": [record]})
