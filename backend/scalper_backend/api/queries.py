"""Query strings and headers into domain values: the only place that reads them."""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import UTC, datetime

from aws_lambda_powertools.utilities.data_classes import APIGatewayProxyEvent

from ..errors import InvalidRequest
from ..listing import DEFAULT_LIMIT, MAX_IDS, MAX_LIMIT, ListQuery
from ..models import FileState
from ..records import FILE_ID_PATTERN
from .schemas import no_control_characters

IDEMPOTENCY_KEY_PATTERN = re.compile(r"[A-Za-z0-9_.:-]{1,255}")
# What `ids` excludes: it names the files, so there is nothing to filter or page.
_NOT_WITH_IDS = ("state", "cursor", "created_after", "created_before", "q")
_LONGEST_TIME = 40  # characters of an ISO 8601 time worth parsing


def parse_list_query(params: Mapping[str, str] | None) -> ListQuery:
    """``GET /files``'s query string as a :class:`ListQuery`.

    Raises:
        InvalidRequest: a value is malformed or out of range (the message names it).
    """
    params = params or {}
    if "ids" in params:
        clashing = [name for name in _NOT_WITH_IDS if name in params]
        if clashing:
            raise InvalidRequest(f"ids: cannot be combined with {', '.join(clashing)}.")
        return ListQuery(ids=_ids(params["ids"]))
    query = ListQuery(
        state=_state(params.get("state")),
        limit=_limit(params.get("limit")),
        cursor=params.get("cursor") or None,
        created_after=_time("created_after", params.get("created_after")),
        created_before=_time("created_before", params.get("created_before")),
        q=_q(params.get("q")),
    )
    if query.created_after and query.created_before and query.created_after >= query.created_before:
        raise InvalidRequest("created_after: must be earlier than created_before.")
    return query


def idempotency_key(event: APIGatewayProxyEvent) -> str | None:
    """The ``Idempotency-Key`` header, if sent.

    Raises:
        InvalidRequest: it is not 1 to 255 characters of ``[A-Za-z0-9_.:-]``.
    """
    value = event.headers.get("Idempotency-Key")  # Powertools: case-insensitive
    if value is None:
        return None
    if not IDEMPOTENCY_KEY_PATTERN.fullmatch(value):
        raise InvalidRequest("Idempotency-Key: use 1 to 255 characters of A-Z, a-z, 0-9, '_', '.', ':' and '-'.")
    return value


def _state(value: str | None) -> FileState | None:
    try:
        return FileState(value) if value else None
    except ValueError:
        states = ", ".join(s.value for s in FileState)
        raise InvalidRequest(f"state: must be one of {states}.") from None


def _limit(value: str | None) -> int:
    if value is None or value == "":
        return DEFAULT_LIMIT
    if not re.fullmatch(r"[0-9]{1,3}", value) or not 1 <= int(value) <= MAX_LIMIT:
        raise InvalidRequest(f"limit: must be a whole number from 1 to {MAX_LIMIT}.")
    return int(value)


def _time(name: str, value: str | None) -> datetime | None:
    """An ISO 8601 time with its offset (``2026-11-25T21:37:20Z``), in UTC."""
    if not value:
        return None
    try:
        moment = datetime.fromisoformat(value) if len(value) <= _LONGEST_TIME else None
    except ValueError:
        moment = None
    if moment is None or moment.tzinfo is None:
        raise InvalidRequest(f"{name}: must be an ISO 8601 time with a UTC offset, such as 2026-11-25T21:37:20Z.")
    return moment.astimezone(UTC)


def _q(value: str | None) -> str | None:
    if value is None or value == "":
        return None
    if len(value) > 255:
        raise InvalidRequest("q: must be 1 to 255 characters.")
    try:
        return no_control_characters(value)
    except ValueError:
        raise InvalidRequest("q: must not contain control characters.") from None


def _ids(value: str) -> tuple[str, ...]:
    ids = tuple(dict.fromkeys(part.strip() for part in value.split(",") if part.strip()))
    if not 1 <= len(ids) <= MAX_IDS:
        raise InvalidRequest(f"ids: give 1 to {MAX_IDS} file ids, separated by commas.")
    malformed = next((i for i in ids if not re.fullmatch(FILE_ID_PATTERN, i)), None)
    if malformed is not None:
        shown = malformed if len(malformed) <= 64 else malformed[:64] + "..."
        raise InvalidRequest(f"ids: {shown!r} is not a file id.")
    return ids
