"""``Idempotency-Key`` on ``POST /uploads``, with Powertools' idempotency utility.

Powertools keeps one item per key in the idempotency table: written ``INPROGRESS`` by a
conditional put before the declaration runs (so two requests with one key cannot both
run), then ``COMPLETED`` with what the answer was, for 24 hours; deleted again if the
declaration fails, so a retry can run it. DynamoDB's TTL removes old items within days;
Powertools compares the expiry itself, so an expired item never replays.

* **Scoped to the partner.** The item id is a SHA-256 of ``[partner_id, key]``: two
  partners using the same key never meet.
* **Bound to the body.** The validated request is hashed too: the same key with another
  body is ``409 idempotency_key_reused``; while the first request runs, a second is
  ``409 request_in_progress``. An attempt that died mid-way holds the key only until its
  Lambda's timeout (Powertools records the remaining time).
* **Ids only.** The item keeps the ids of the answer, never presigned URLs;
  a replay rebuilds the answer from the file's record (with fresh URLs while it awaits
  its bytes).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from aws_lambda_powertools.utilities.idempotency import IdempotencyConfig, idempotent_function
from aws_lambda_powertools.utilities.idempotency.exceptions import (
    IdempotencyAlreadyInProgressError,
    IdempotencyInconsistentStateError,
    IdempotencyPersistenceLayerError,
    IdempotencyValidationError,
)
from aws_lambda_powertools.utilities.idempotency.serialization.base import BaseIdempotencySerializer
from pydantic import BaseModel

from .api.schemas import UploadRequest
from .errors import IdempotencyKeyReused, RequestInProgress, StoreError

T = TypeVar("T")
KEEP_SECONDS = 24 * 60 * 60
# Stable across deploys and function renames (Powertools' default is the function name).
_KEY_PREFIX = "POST /uploads"


class Kept(BaseModel):
    """What is kept of an answer under its key (its status follows from ``duplicate_of``)."""

    file_id: str
    duplicate_of: str | None = None


class _Call(BaseModel):
    """The payload Powertools hashes: the key part (partner and key) and the body part."""

    partner_id: str
    key: str
    request: UploadRequest


class _KeepIds(BaseIdempotencySerializer):
    def __init__(self, keep: Callable[[Any], Kept]) -> None:
        self._keep = keep

    def to_dict(self, data: Any) -> dict[str, Any]:
        return self._keep(data).model_dump()

    def from_dict(self, data: dict[str, Any]) -> Kept:
        return Kept.model_validate(data)


def run_once(
    store: Any,
    *,
    partner_id: str,
    key: str,
    request: UploadRequest,
    run: Callable[[], T],
    keep: Callable[[T], Kept],
    context: Any,
) -> T | Kept:
    """``run()`` the first time this partner sends this key; what was kept after, on a replay.

    Args:
        store: Powertools' persistence layer (``DynamoDBPersistenceLayer``).
        context: the Lambda context, whose remaining time bounds how long an attempt in
            progress holds the key.

    Raises:
        IdempotencyKeyReused: the key came before with another body.
        RequestInProgress: the first request with this key is still running.
        StoreError: the idempotency table failed.
    """
    config = IdempotencyConfig(
        event_key_jmespath="[partner_id, key]",
        payload_validation_jmespath="request",
        raise_on_no_idempotency_key=True,
        expires_after_seconds=KEEP_SECONDS,
        hash_function="sha256",
        lambda_context=context,
    )

    def declare(call: _Call) -> T:  # Powertools reads the payload from this keyword argument
        return run()

    once = idempotent_function(
        declare,
        data_keyword_argument="call",
        persistence_store=store,
        config=config,
        output_serializer=_KeepIds(keep),
        key_prefix=_KEY_PREFIX,
    )
    try:
        result: T | Kept = once(call=_Call(partner_id=partner_id, key=key, request=request))
    except IdempotencyValidationError:
        raise IdempotencyKeyReused("This Idempotency-Key was used with a different body; use a new key.") from None
    except (IdempotencyAlreadyInProgressError, IdempotencyInconsistentStateError):
        raise RequestInProgress("A request with this Idempotency-Key is in progress; retry shortly.") from None
    except IdempotencyPersistenceLayerError as err:
        raise StoreError("idempotency store failed") from err
    return result
