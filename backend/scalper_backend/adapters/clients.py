"""boto3 clients, built once per cold start and passed to whoever needs them."""

from __future__ import annotations

from functools import cached_property
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


class AwsClients:
    """The AWS clients a function uses, each made on first use: creating a client loads its
    service model, and a function should pay only for the ones it calls (the status
    function never publishes alerts). boto3 clients are thread-safe; resources are not.
    """

    def __init__(self, session: Session) -> None:
        self._session = session

    @classmethod
    def create(cls, session: Session | None = None) -> AwsClients:
        """Clients from a session (the default session when omitted).

        Region, credentials and, for the local stack, ``AWS_ENDPOINT_URL`` come from the
        standard AWS environment variables, which boto3 reads itself.
        """
        return cls(session or boto3.session.Session())

    @cached_property
    def s3(self) -> Any:
        return self._session.client("s3", config=_CONFIG)

    @cached_property
    def dynamodb(self) -> Any:
        return self._session.client("dynamodb", config=_CONFIG)

    @cached_property
    def sns(self) -> Any:
        return self._session.client("sns", config=_CONFIG)
