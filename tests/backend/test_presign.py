"""The presigned PUT binds the bytes to what was declared: its SigV4 signature covers the
content type, the length and the SHA-256 checksum, so S3 refuses any other body.

moto does not check presigned signatures, so these tests recompute them as S3 does
(``support.sigv4``, with botocore's signer) for the request a partner would send.
"""

from __future__ import annotations

import base64
import hashlib

import boto3
import pytest
from support.sigv4 import s3_would_accept, signed_headers

from scalper_backend.api.schemas import UploadRequest, UploadTicket
from scalper_backend.uploads import create_upload

BODY = b"a,b\n1,2\n"
OTHER_BODY = b"a,b\n6,6\n"


@pytest.fixture
def ticket(backend) -> UploadTicket:
    request = UploadRequest(
        filename="f.csv", size=len(BODY), content_type="text/csv", sha256=hashlib.sha256(BODY).hexdigest()
    )
    deps = backend.deps
    return create_upload(
        request,
        "acme",
        settings=backend.settings,
        rules=deps.rules.for_partner("acme"),
        files=deps.files,
        objects=deps.objects,
    )


@pytest.fixture
def credentials(backend):
    """The credentials in force (moto's fake ones), which the URL is signed with."""
    return boto3.session.Session().get_credentials().get_frozen_credentials()


def test_signature_covers_content_type_length_checksum_and_host(ticket):
    assert set(signed_headers(ticket.upload.url)) >= {"content-length", "content-type", "host", "x-amz-checksum-sha256"}


def test_the_declared_request_verifies(ticket, credentials):
    assert s3_would_accept(ticket.upload.url, ticket.upload.headers, credentials)


@pytest.mark.parametrize(
    ("header", "value"),
    [
        ("x-amz-checksum-sha256", base64.b64encode(hashlib.sha256(OTHER_BODY).digest()).decode()),
        ("Content-Length", str(len(BODY) + 1)),
        ("Content-Type", "application/json"),
    ],
    ids=["another checksum", "another length", "another content type"],
)
def test_a_url_signed_for_one_body_does_not_verify_for_another(ticket, credentials, header, value):
    assert header in ticket.upload.headers
    headers = {**ticket.upload.headers, header: value}

    assert not s3_would_accept(ticket.upload.url, headers, credentials)


@pytest.mark.parametrize("header", ["x-amz-checksum-sha256", "Content-Length"])
def test_a_request_leaving_out_a_declared_header_does_not_verify(ticket, credentials, header):
    headers = {name: value for name, value in ticket.upload.headers.items() if name != header}

    assert not s3_would_accept(ticket.upload.url, headers, credentials)
