"""Signature Version 4 checked as AWS checks it: botocore signs the request as received.

Both verifying front doors of the local stack use this: the IAM API's gateway
(``iam_sigv4``, service ``execute-api``) and the S3 edge (``s3_sigv4``, service ``s3``).
Neither re-implements SigV4: the request is rebuilt as a botocore ``AWSRequest`` from what
arrived (method, the path as sent, the query, and only the headers the client says it
signed), the signer's timestamp is fixed to the request's own ``X-Amz-Date``, botocore's
signer computes the signature, and the two are compared in constant time. moto's IAM
access control checks signatures the same way (``moto/iam/access_control.py``).
"""

from __future__ import annotations

import hmac
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any, cast

from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest


@dataclass(frozen=True)
class Recomputed:
    """What botocore computed for a received request."""

    signature: str
    canonical_request: str
    string_to_sign: str

    def matches(self, provided: str) -> bool:
        """Whether the client's signature is this one (constant time)."""
        return hmac.compare_digest(self.signature.encode(), provided.encode("utf-8", "replace"))


def recompute(
    signer: SigV4Auth,
    *,
    method: str,
    url: str,
    headers: Iterable[tuple[str, str]],
    signed: Iterable[str],
    timestamp: str,
    data: bytes | None = None,
    params: list[tuple[str, str]] | None = None,
) -> Recomputed:
    """botocore's signature over a received request, restricted to its signed headers.

    Args:
        signer: a botocore SigV4 signer (header or query auth) with the expected credentials.
        method: the HTTP method.
        url: scheme, host and the path exactly as sent (still percent-encoded).
        headers: every header received; only those named in ``signed`` take part, as on
            AWS (a header left out of the list may change freely). Repeated headers are kept.
        signed: the header names the client listed as signed.
        timestamp: the request's ``X-Amz-Date``.
        data: the body, for services that sign the payload itself.
        params: the query's parameters as received; a list, not a dict, so that a repeated
            parameter takes part as sent (botocore accepts pairs; its stubs say Mapping).
    """
    wanted = {name.strip().lower() for name in signed}
    rebuilt = AWSRequest(method=method, url=url, data=data, params=cast(Any, params or []))
    for name, value in headers:
        if name.lower() in wanted:
            rebuilt.headers[name] = value  # HTTPHeaders keeps repeated headers, as signed
    rebuilt.context["timestamp"] = timestamp
    canonical = signer.canonical_request(rebuilt)
    string_to_sign = signer.string_to_sign(rebuilt, canonical)
    return Recomputed(str(signer.signature(string_to_sign, rebuilt)), canonical, string_to_sign)
