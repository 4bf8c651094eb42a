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
#
# Presigned URLs name the bucket's regional host (<bucket>.s3.<region>.amazonaws.com).
# botocore's default is the legacy global host, which AWS routes through us-east-1: for a
# bucket younger than a day outside us-east-1 it answers 307 Temporary Redirect, and in
# Regions launched after 20 March 2019 it answers 400, so a partner's PUT fails
# (https://docs.aws.amazon.com/AmazonS3/latest/userguide/VirtualHosting.html, "Legacy
# global endpoint"; https://docs.aws.amazon.com/AmazonS3/latest/API/UsingRouting.html).
# With an endpoint URL whose host is an IP address (the local stack's 127.0.0.1), botocore's
# S3 endpoint rules (`url#isIp`) fall back to path-style addressing, which is what moto needs.
_CONFIG = Config(
    signature_version="s3v4",
    s3={"addressing_style": "virtual", "us_east_1_regional_endpoint": "regional"},
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
    def sqs(self) -> Any:
        return self._session.client("sqs", config=_CONFIG)

    @cached_property
    def sns(self) -> Any:
        return self._session.client("sns", config=_CONFIG)
