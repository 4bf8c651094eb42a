"""The OpenAPI 3.1 description of the API, generated from the pydantic schemas.

``docs/openapi.json`` is this document, written by ``make openapi``; a test keeps the two
equal, and the local stack serves it at ``GET /v1/openapi.json``.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel
from pydantic.json_schema import models_json_schema

from ..models import FileState
from .schemas import ErrorBody, FilePage, FileView, RulesView, UploadRequest, UploadTicket

_REF = "#/components/schemas/{model}"
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


def openapi_document() -> dict[str, Any]:
    """The whole OpenAPI document as a JSON-ready dict."""
    _, schemas = models_json_schema(
        [
            (m, "validation" if m is UploadRequest else "serialization")
            for m in (UploadRequest, UploadTicket, FileView, FilePage, RulesView, ErrorBody)
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
            "/uploads": {
                "post": {
                    "operationId": "createUpload",
                    "summary": "Declare a file and get a presigned PUT for its bytes",
                    "requestBody": {"required": True, "content": {"application/json": {"schema": _ref(UploadRequest)}}},
                    "responses": _responses(
                        "201",
                        UploadTicket,
                        "The file is recorded as pending_upload; PUT its bytes to upload.url with upload.headers.",
                        **{"413": "`file_too_large`.", "415": "`unsupported_content_type`."},
                    ),
                }
            },
            "/files": {
                "get": {
                    "operationId": "listFiles",
                    "summary": "List your files, newest first",
                    "parameters": [
                        {
                            "name": "state",
                            "in": "query",
                            "required": False,
                            "schema": {"type": "string", "enum": [s.value for s in FileState]},
                        },
                        {
                            "name": "limit",
                            "in": "query",
                            "required": False,
                            "schema": {"type": "integer", "minimum": 1, "maximum": 100, "default": 25},
                        },
                        {"name": "cursor", "in": "query", "required": False, "schema": {"type": "string"}},
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
                    "parameters": [{"name": "file_id", "in": "path", "required": True, "schema": {"type": "string"}}],
                    "responses": _responses("200", FileView, "The file record.", **{"404": "`file_not_found`."}),
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
