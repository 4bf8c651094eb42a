"""What only the credential store knows, asked of the moto process.

API Gateway checks a request's API key or SigV4 signature against what AWS keeps: the key's
state and usage plan, or the secret of an access key (which AWS never hands out again).
Locally that store is moto's state, which lives in the moto process (``moto_service.py``).
That process answers two private loopback requests, and ``CredentialStore`` asks them:

* ``POST /_scalper/api-key`` with the key's value as the body: its ``KeyState``;
* ``GET /_scalper/identity/<access key id>``: its ``SigningIdentity`` (secret included).

Each answers ``null`` for an unknown key.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable
from typing import Any
from urllib.parse import quote, unquote, urlsplit

import urllib3

from .api_keys import KeyState, find_key
from .iam_identities import SigningIdentity, find_identity

PREFIX = "/_scalper/"
_API_KEY = PREFIX + "api-key"
_IDENTITY = PREFIX + "identity/"


class CredentialStore:
    """The gateway's side: ``api_key`` and ``identity`` lookups in the moto process at ``endpoint``."""

    def __init__(self, endpoint: str) -> None:
        parts = urlsplit(endpoint)
        self._pool = urllib3.HTTPConnectionPool(parts.hostname or "127.0.0.1", parts.port, maxsize=8, retries=False)

    def api_key(self, value: str) -> KeyState | None:
        found = self._ask("POST", _API_KEY, value.encode())
        return KeyState.from_json(found) if found else None

    def identity(self, access_key_id: str) -> SigningIdentity | None:
        found = self._ask("GET", _IDENTITY + quote(access_key_id, safe=""), None)
        return SigningIdentity.from_json(found) if found else None

    def close(self) -> None:
        self._pool.close()

    def _ask(self, method: str, path: str, body: bytes | None) -> Any:
        answer = self._pool.request(method, path, body=body, timeout=10.0)
        if answer.status != 200:
            raise RuntimeError(f"the moto process answered {answer.status} to {method} {path.split('/')[2]}")
        return answer.json()


def serve(environ: dict[str, Any], start_response: Callable[..., Any], region: str) -> Iterable[bytes]:
    """The moto process's side: answer one of the two requests from moto's state."""
    path, method = environ.get("PATH_INFO", ""), environ.get("REQUEST_METHOD")
    found: KeyState | SigningIdentity | None
    if path == _API_KEY and method == "POST":
        length = int(environ.get("CONTENT_LENGTH") or 0)
        found = find_key(environ["wsgi.input"].read(length).decode(), region)
    elif path.startswith(_IDENTITY) and method == "GET":
        found = find_identity(unquote(path.removeprefix(_IDENTITY)))
    else:
        start_response("404 Not Found", [("Content-Length", "0")])
        return [b""]
    body = json.dumps(found.to_json() if found else None).encode()
    start_response("200 OK", [("Content-Type", "application/json"), ("Content-Length", str(len(body)))])
    return [body]
