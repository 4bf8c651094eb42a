"""Reading API Gateway proxy events: bodies into models, the caller into a principal."""

from __future__ import annotations

import base64
import json
from typing import Any, TypeVar

from aws_lambda_powertools.utilities.data_classes import APIGatewayProxyEvent
from pydantic import BaseModel, ValidationError

from ..errors import Forbidden, InvalidRequest

M = TypeVar("M", bound=BaseModel)


def parse_body(event: APIGatewayProxyEvent, model: type[M]) -> M:
    """The body as ``model``.

    Raises:
        InvalidRequest: ``invalid_json`` when the body is not a JSON object or names a
            key twice, ``invalid_request`` naming the first bad field otherwise.
    """
    # API Gateway base64-encodes bodies that are not UTF-8 text; they are bytes to pydantic.
    raw: str | bytes = event.body or ""
    if event.is_base64_encoded:
        raw = base64.b64decode(raw)
    try:
        parsed = model.model_validate_json(raw)
    except ValidationError as err:
        first = err.errors()[0]
        if first["type"] in {"json_invalid", "model_type"} and not first["loc"]:
            raise InvalidRequest("The body must be a JSON object.", code="invalid_json") from None
        location = ".".join(str(part) for part in first["loc"]) or "body"
        raise InvalidRequest(f"{location}: {first['msg']}") from None
    # JSON parsers keep the last of two equal keys, silently; which one a sender meant is
    # ambiguous, so such a body is refused (pydantic's parser cannot tell, hence a second pass).
    json.loads(raw, object_pairs_hook=_refuse_repeated_keys)
    return parsed


def _refuse_repeated_keys(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    keys = [key for key, _ in pairs]
    if len(set(keys)) != len(keys):
        raise InvalidRequest("The body names a key twice.", code="invalid_json")
    return dict(pairs)


def caller_principal(event: APIGatewayProxyEvent) -> str:
    """The principal the partners table is keyed by, from what API Gateway verified.

    Raises:
        Forbidden: the request carries no verified identity (a deploy bug, or a route
            without ``ApiKeyRequired``).
    """
    key_id = event.request_context.identity.api_key_id
    if not key_id:
        raise Forbidden("Missing or invalid API key.")
    return f"apikey:{key_id}"
