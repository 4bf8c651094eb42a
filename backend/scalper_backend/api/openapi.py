"""The OpenAPI 3.1 description of the API, generated from the pydantic schemas.

``docs/openapi.json`` is this document, written by ``make openapi``; a test keeps the two
equal, and the local stack serves it at ``GET /v1/openapi.json``.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel
from pydantic.json_schema import models_json_schema

from ..listing import MAX_IDS
from ..models import FileState
from .queries import IDEMPOTENCY_KEY_PATTERN
from .schemas import (
    CompleteRequest,
    ErrorBody,
    FilePage,
    FileView,
    PartsRequest,
    PartsTicket,
    RulesView,
    UploadRequest,
    UploadTicket,
)

_REF = "#/components/schemas/{model}"
_REQUESTS = (UploadRequest, PartsRequest, CompleteRequest)
_ERRORS = {
    "400": "Malformed request (`invalid_json`, `invalid_request`, `invalid_cursor`).",
    "403": "Missing or invalid API key (`forbidden`), or a key with no partner (`unknown_partner`).",
    "429": "Over the usage plan's rate (`throttled`).",
    "500": "Our fault (`internal_error`); quote the `request_id`.",
}


def _ref(model: type[BaseModel]) -> dict[str, str]:
    return {"$ref": _REF.format(model=model.__name__)}


def _json(model: type[BaseModel], description: str) -> dict[str, Any]:
    return {"description": description, "content": {"application/json": {"schema": _ref(model)}}}


def _responses(ok: str, ok_model: type[BaseModel], description: str, **extra: str) -> dict[str, Any]:
    responses = {ok: _json(ok_model, description)}
    for status, text in {**_ERRORS, **extra}.items():
        responses[status] = _json(ErrorBody, text)
    return dict(sorted(responses.items()))


def _body(model: type[BaseModel]) -> dict[str, Any]:
    return {"required": True, "content": {"application/json": {"schema": _ref(model)}}}


def _query(name: str, schema: dict[str, Any], description: str) -> dict[str, Any]:
    return {"name": name, "in": "query", "required": False, "schema": schema, "description": description}


_FILE_ID = {"name": "file_id", "in": "path", "required": True, "schema": {"type": "string"}}
_NOT_FOUND = "`file_not_found` (another partner's file is not found either)."
_NOT_PENDING_MULTIPART = "`invalid_state`: not a multipart upload awaiting its parts."
_TIME = {"type": "string", "format": "date-time"}


def _create_upload() -> dict[str, Any]:
    responses = _responses(
        "201",
        UploadTicket,
        "A new file (or this partner's file with the same sha256 and filename, still awaiting its bytes): "
        "send the bytes to `upload` (one PUT) or to each of `multipart.parts`.",
        **{
            "409": "`idempotency_key_reused`, or `request_in_progress` (retry after `Retry-After` seconds).",
            "413": "`file_too_large`: over the platform's limit, or your rules' `max_size`.",
            "415": "`unsupported_content_type`, or `content_type_not_allowed` by your rules.",
        },
    )
    responses["200"] = _json(
        UploadTicket, "This partner already has the file (`duplicate_of`); there is nothing to send."
    )
    replayed = {"description": "`true` when this answers an earlier request with the same Idempotency-Key."}
    responses["201"]["headers"] = {"Idempotent-Replayed": {"schema": {"type": "string"}, **replayed}}
    responses["409"]["headers"] = {"Retry-After": {"schema": {"type": "integer"}, "description": "Seconds."}}
    return {
        "operationId": "createUpload",
        "summary": "Declare a file and get presigned URLs for its bytes",
        "parameters": [
            {
                "name": "Idempotency-Key",
                "in": "header",
                "required": False,
                "schema": {"type": "string", "pattern": f"^{IDEMPOTENCY_KEY_PATTERN.pattern}$"},
                "description": "Makes the request safe to retry: the same key and body answer the same, for 24 h.",
            }
        ],
        "requestBody": _body(UploadRequest),
        "responses": dict(sorted(responses.items())),
    }


def openapi_document() -> dict[str, Any]:
    """The whole OpenAPI document as a JSON-ready dict."""
    _, schemas = models_json_schema(
        [
            (m, "validation" if m in _REQUESTS else "serialization")
            for m in (*_REQUESTS, UploadTicket, PartsTicket, FileView, FilePage, RulesView, ErrorBody)
        ],
        ref_template=_REF,
    )
    security: list[dict[str, list[str]]] = [{"ApiKey": []}]
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "Silent Scalper API",
            "version": "1.0.0",
            "description": "Declare files, upload their bytes to presigned S3 URLs, and follow their processing.",
        },
        "servers": [
            {
                "url": "https://{api}.execute-api.{region}.amazonaws.com/v1",
                "variables": {"api": {"default": "example"}, "region": {"default": "us-east-1"}},
            }
        ],
        "security": security,
        "paths": {
            "/uploads": {"post": _create_upload()},
            "/uploads/{file_id}/parts": {
                "post": {
                    "operationId": "presignParts",
                    "summary": "Presign some parts of a multipart upload again (to resume, or after expiry)",
                    "parameters": [_FILE_ID],
                    "requestBody": _body(PartsRequest),
                    "responses": _responses(
                        "200", PartsTicket, "Fresh part URLs.", **{"404": _NOT_FOUND, "409": _NOT_PENDING_MULTIPART}
                    ),
                }
            },
            "/uploads/{file_id}/complete": {
                "post": {
                    "operationId": "completeUpload",
                    "summary": "Complete a multipart upload; processing starts",
                    "parameters": [_FILE_ID],
                    "requestBody": _body(CompleteRequest),
                    "responses": _responses(
                        "200",
                        FileView,
                        "The file record (completing twice is harmless).",
                        **{
                            "400": "`upload_incomplete`: a part is missing or S3 refused it; also `invalid_json`, "
                            "`invalid_request`.",
                            "404": _NOT_FOUND,
                            "409": "`invalid_state`: not a multipart upload, or cancelled/expired.",
                        },
                    ),
                }
            },
            "/uploads/{file_id}": {
                "delete": {
                    "operationId": "cancelUpload",
                    "summary": "Cancel a pending upload (the file becomes cancelled)",
                    "parameters": [_FILE_ID],
                    "responses": _responses(
                        "200",
                        FileView,
                        "The cancelled file record (cancelling twice is harmless).",
                        **{"404": _NOT_FOUND, "409": "`invalid_state`: the file is past pending_upload."},
                    ),
                }
            },
            "/files": {
                "get": {
                    "operationId": "listFiles",
                    "summary": "List your files, newest first",
                    "parameters": [
                        _query("state", {"type": "string", "enum": [s.value for s in FileState]}, "Only this state."),
                        _query(
                            "limit",
                            {"type": "integer", "minimum": 1, "maximum": 100, "default": 25},
                            "Files per page.",
                        ),
                        _query("cursor", {"type": "string"}, "The previous page's next_cursor."),
                        _query("created_after", _TIME, "Created at or after this time (with its UTC offset)."),
                        _query("created_before", _TIME, "Created before this time (with its UTC offset)."),
                        _query(
                            "q",
                            {"type": "string", "minLength": 1, "maxLength": 255},
                            "Filename contains this, ignoring case; pages may be short, follow next_cursor.",
                        ),
                        _query(
                            "ids",
                            {"type": "string"},
                            f"1 to {MAX_IDS} comma-separated file ids: exactly those of your files, one page. "
                            "Not with state, cursor, created_after, created_before or q.",
                        ),
                    ],
                    "responses": _responses("200", FilePage, "One page of file records."),
                }
            },
            "/rules": {
                "get": {
                    "operationId": "getRules",
                    "summary": "The rules your uploads are judged by (what scalper validate checks)",
                    "responses": _responses("200", RulesView, "Your profile of the partner rules."),
                }
            },
            "/files/{file_id}": {
                "get": {
                    "operationId": "getFile",
                    "summary": "One of your files",
                    "parameters": [_FILE_ID],
                    "responses": _responses("200", FileView, "The file record.", **{"404": _NOT_FOUND}),
                }
            },
            "/files/{file_id}/reprocess": {
                "post": {
                    "operationId": "reprocessFile",
                    "summary": "Send a quarantined or failed file through processing again",
                    "parameters": [_FILE_ID],
                    "responses": _responses(
                        "202",
                        FileView,
                        "The file, queued for processing again (state processing); history keeps earlier attempts.",
                        **{
                            "404": _NOT_FOUND,
                            "409": "`invalid_state`: not quarantined or failed, changed meanwhile, or its bytes "
                            "are no longer kept.",
                        },
                    ),
                }
            },
        },
        "components": {
            "schemas": schemas.get("$defs", {}),
            "securitySchemes": {"ApiKey": {"type": "apiKey", "in": "header", "name": "x-api-key"}},
        },
    }


if __name__ == "__main__":
    import json

    print(json.dumps(openapi_document(), indent=2, sort_keys=False))
