"""Reading API Gateway proxy events: bodies into models, the caller into a principal."""

from __future__ import annotations

import base64
import json
from typing import Any, TypeVar

from aws_lambda_powertools.utilities.data_classes import APIGatewayProxyEvent
from pydantic import BaseModel, ValidationError

from ..errors import Forbidden, InvalidRequest, UnsupportedMediaType
from ..partners import PartnerResolver, api_key_principal, iam_principal

M = TypeVar("M", bound=BaseModel)


class _DuplicateKey(ValueError):
    pass


def parse_body(event: APIGatewayProxyEvent, model: type[M]) -> M:
    """The body as ``model``.

    Raises:
        UnsupportedMediaType: the body is not declared ``application/json`` (UTF-8).
        InvalidRequest: ``invalid_json`` when the body is not a JSON object or repeats a
            key, ``invalid_request`` naming the first bad field otherwise.
    """
    # API Gateway base64-encodes bodies that are not UTF-8 text; they are bytes to pydantic.
    raw: str | bytes = event.body or ""
    if event.is_base64_encoded:
        raw = base64.b64decode(raw)
    _check_media_type(event.headers.get("content-type"), has_body=bool(raw))
    _check_no_duplicate_keys(raw)
    try:
        return model.model_validate_json(raw)
    except ValidationError as err:
        first = err.errors()[0]
        if first["type"] in {"json_invalid", "model_type"} and not first["loc"]:
            raise InvalidRequest("The body must be a JSON object.", code="invalid_json") from None
        location = ".".join(str(part) for part in first["loc"]) or "body"
        raise InvalidRequest(f"{location}: {first['msg']}") from None


def _check_media_type(content_type: str | None, *, has_body: bool) -> None:
    if content_type is None and not has_body:
        return  # nothing declared, nothing sent: the body is then simply not a JSON object
    media_type, *params = [part.strip().lower() for part in (content_type or "").split(";")]
    charset = dict(p.partition("=")[::2] for p in params).get("charset", "utf-8").strip('"')
    if media_type != "application/json" or charset != "utf-8":
        raise UnsupportedMediaType("Send the body as Content-Type: application/json (UTF-8).")


def _check_no_duplicate_keys(raw: str | bytes) -> None:
    """pydantic keeps the last of repeated keys (``"size":-1,"size":8`` is 8); a body whose
    meaning depends on which copy a reader keeps is refused instead."""

    def pairs(items: list[tuple[str, Any]]) -> dict[str, Any]:
        keys = [key for key, _ in items]
        if len(set(keys)) != len(keys):
            raise _DuplicateKey(next(k for k in keys if keys.count(k) > 1))
        return dict(items)

    try:
        json.loads(raw, object_pairs_hook=pairs)
    except _DuplicateKey as err:
        shown = str(err)[:64]
        raise InvalidRequest(f"The body repeats the key {shown!r}.", code="invalid_json") from None
    except (ValueError, RecursionError):
        return  # not JSON (or absurdly deep): pydantic's own parse below names the error


def caller_partner(event: APIGatewayProxyEvent, partners: PartnerResolver) -> str:
    """The partner whose credential API Gateway verified for this request.

    Raises:
        Forbidden: see :meth:`PartnerResolver.partner_for`.
    """
    return partners.partner_for(caller_principal(event))


def caller_principal(event: APIGatewayProxyEvent) -> str:
    """The principal the partners table is keyed by, from what API Gateway verified.

    ``apiKeyId`` is set by the API-key API; ``userArn`` by the IAM API once it verified the
    SigV4 signature: it is the ARN of the IAM user, or ``arn:aws:sts::<account>:
    assumed-role/<role>/<session>`` for a role session (API Gateway's "mapping template and
    access logging variable reference": ``$context.identity.userArn`` is "the ARN of the
    effective user identified after authentication"). Neither comes from anything the
    client sends; headers and body never choose the partner.

    Raises:
        Forbidden: the request carries no verified identity (a deploy bug, or a route
            without ``ApiKeyRequired`` or ``AWS_IAM``).
    """
    identity = event.request_context.identity
    if identity.api_key_id:
        return api_key_principal(identity.api_key_id)
    if identity.user_arn:
        return iam_principal(identity.user_arn)
    raise Forbidden("Missing or invalid credentials.")
