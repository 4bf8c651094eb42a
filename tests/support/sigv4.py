"""Checking a presigned S3 URL the way S3 does, with botocore's own SigV4 signer.

moto accepts any presigned PUT, so tests cannot learn from it whether S3 would. S3
recomputes the signature from the request it receives: the URL's query (less the
signature) and the headers the URL says were signed, with the values actually sent.
"""

from __future__ import annotations

import hmac
from collections.abc import Mapping
from urllib.parse import parse_qs, urlsplit, urlunsplit

from botocore.auth import S3SigV4QueryAuth
from botocore.awsrequest import AWSRequest
from botocore.credentials import ReadOnlyCredentials


def signed_headers(url: str) -> list[str]:
    """The header names a presigned URL's signature covers (``X-Amz-SignedHeaders``)."""
    return parse_qs(urlsplit(url).query)["X-Amz-SignedHeaders"][0].split(";")


def s3_would_accept(
    url: str, headers: Mapping[str, str], credentials: ReadOnlyCredentials, method: str = "PUT"
) -> bool:
    """Whether the signature of ``url`` holds for a request sent with ``headers``.

    A signed header that is not sent fails, as it does on S3.
    """
    parts = urlsplit(url)
    query = {name: values[0] for name, values in parse_qs(parts.query).items()}
    unsigned_query = "&".join(pair for pair in parts.query.split("&") if not pair.startswith("X-Amz-Signature="))
    sent = {name.lower(): value for name, value in headers.items()} | {"host": parts.netloc}
    names = signed_headers(url)
    if any(name not in sent for name in names):
        return False
    request = AWSRequest(
        method=method,
        url=urlunsplit(parts._replace(query=unsigned_query)),
        headers={name: sent[name] for name in names},
    )
    request.context["timestamp"] = query["X-Amz-Date"]
    _, _, region, service, _ = query["X-Amz-Credential"].split("/")
    signer = S3SigV4QueryAuth(credentials, service, region, expires=int(query["X-Amz-Expires"]))
    expected = signer.signature(signer.string_to_sign(request, signer.canonical_request(request)), request)
    return hmac.compare_digest(expected, query["X-Amz-Signature"])
