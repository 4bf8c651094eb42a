"""Presigned upload URLs point where S3 will accept them: the bucket's own regional host."""

from __future__ import annotations

from urllib.parse import urlsplit

import boto3
import pytest

from scalper_backend.adapters.clients import AwsClients
from scalper_backend.adapters.objects import Objects

SHA256_B64 = "47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU="


def _presign(session: boto3.session.Session) -> str:
    return Objects(AwsClients.create(session).s3).presign_put(
        bucket="scalper-input-3f1c",
        key="uploads/acme/f_1",
        content_type="text/csv",
        size=0,
        sha256_b64=SHA256_B64,
        expires_in=600,
    )


@pytest.mark.parametrize("region", ["eu-west-1", "us-east-1", "ap-southeast-4"])
def test_presigned_put_uses_the_regional_virtual_hosted_endpoint(region):
    # The legacy global host (bucket.s3.amazonaws.com) answers 307 for a new bucket outside
    # us-east-1, and 400 in regions launched after March 2019.
    url = urlsplit(_presign(boto3.session.Session(region_name=region)))

    assert (url.scheme, url.netloc) == ("https", f"scalper-input-3f1c.s3.{region}.amazonaws.com")
    assert url.path == "/uploads/acme/f_1"
    assert f"%2F{region}%2Fs3%2Faws4_request" in url.query  # signed for the bucket's region


def test_presigned_put_to_a_loopback_endpoint_is_path_style(monkeypatch):
    # The local stack's moto listens on an IP address, which cannot carry a bucket host name.
    monkeypatch.setenv("AWS_ENDPOINT_URL", "http://127.0.0.1:4566")
    url = urlsplit(_presign(boto3.session.Session(region_name="us-east-1")))

    assert (url.netloc, url.path) == ("127.0.0.1:4566", "/scalper-input-3f1c/uploads/acme/f_1")
