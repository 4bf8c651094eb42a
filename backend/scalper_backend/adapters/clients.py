"""boto3 clients, built once per cold start and passed to whoever needs them."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import boto3
from botocore.config import Config

if TYPE_CHECKING:  # pragma: no cover - typing only
    from boto3.session import Session

# SigV4 everywhere (presigned URLs default to the legacy signature in us-east-1), and no
# checksum of our own on requests: the presigned PUT carries the client's SHA-256, and a
# CRC32 that botocore would add to a presigned URL would bind the URL to an empty body.
_CONFIG = Config(
    signature_version="s3v4",
    retries={"mode": "standard", "max_attempts": 5},
    request_checksum_calculation="when_required",
    response_checksum_validation="when_required",
)


@dataclass(frozen=True)
class AwsClients:
    """The AWS clients a function uses. boto3 clients are thread-safe; resources are not."""

    s3: Any
    dynamodb: Any
    sns: Any

    @classmethod
    def create(cls, session: Session | None = None) -> AwsClients:
        """Build clients from a session (the default session when omitted).

        Region, credentials and, for the local stack, ``AWS_ENDPOINT_URL`` come from the
        standard AWS environment variables, which boto3 reads itself.
        """
        session = session or boto3.session.Session()
        return cls(
            s3=session.client("s3", config=_CONFIG),
            dynamodb=session.client("dynamodb", config=_CONFIG),
            sns=session.client("sns", config=_CONFIG),
        )
