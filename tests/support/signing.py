"""SigV4-signed requests to the IAM API, signed by botocore as any AWS SDK would sign them."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from unittest import mock

import requests
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials

REGION = "us-east-1"


@dataclass(frozen=True)
class Keys:
    access_key_id: str
    secret_access_key: str
    session_token: str | None = None


def sign(
    method: str,
    url: str,
    keys: Keys,
    *,
    body: bytes | None = None,
    headers: dict[str, str] | None = None,
    at: datetime | None = None,
    region: str = REGION,
    service: str = "execute-api",
) -> tuple[str, dict[str, str]]:
    """The URL and headers (``Authorization``, ``X-Amz-Date`` ...) of a signed request.

    ``at`` signs as if the clock said so (to make an expired or future signature).
    """
    request = AWSRequest(method=method, url=url, data=body, headers=dict(headers or {}))
    signer = SigV4Auth(Credentials(keys.access_key_id, keys.secret_access_key, keys.session_token), service, region)
    if at is None:
        signer.add_auth(request)
    else:
        with mock.patch("botocore.auth.get_current_datetime", return_value=at):
            signer.add_auth(request)
    prepared = request.prepare()
    return prepared.url, dict(prepared.headers)


def send(
    method: str,
    url: str,
    keys: Keys,
    *,
    json_body: object = None,
    body: bytes | None = None,
    headers: dict[str, str] | None = None,
    tamper: Callable[[str, dict[str, str], bytes | None], tuple[str, dict[str, str], bytes | None]] | None = None,
    **sign_options: object,
) -> requests.Response:
    """Sign and send; ``tamper`` changes the URL, headers or body after signing."""
    import json

    all_headers = dict(headers or {})
    if json_body is not None:
        body = json.dumps(json_body).encode()
        all_headers.setdefault("Content-Type", "application/json")
    signed_url, signed_headers = sign(method, url, keys, body=body, headers=all_headers, **sign_options)  # type: ignore[arg-type]
    if tamper:
        signed_url, signed_headers, body = tamper(signed_url, signed_headers, body)
    return requests.request(method, signed_url, headers=signed_headers, data=body, timeout=10)
