"""SigV4 signing for the IAM-authorised API, through aws-requests-auth and botocore.

Imported only when IAM auth is asked for, so that ``botocore`` and ``aws-requests-auth``
stay an optional extra (``silent-scalper[iam]``).

aws-requests-auth signs the query string exactly as it is in the URL (it does not
re-encode it) and hashes the exact body bytes; the transport therefore builds every
query string already in SigV4's canonical form (RFC 3986 encoding, sorted by name), see
``_http.encode_query``. Only ``host`` and ``x-amz-date`` (and the session token) are
signed, so headers added by proxies cannot break the signature.
"""

from __future__ import annotations

from aws_requests_auth.boto_utils import BotoAWSRequestsAuth

from ._exceptions import ConfigurationError

NO_CREDENTIALS_HINT = (
    "no AWS credentials found: set AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY, AWS_PROFILE, "
    "or run where a role provides them (for the local stack, export the "
    "SCALPER_AWS_ACCESS_KEY_ID_<NAME>/SCALPER_AWS_SECRET_ACCESS_KEY_<NAME> it prints)"
)


class SigV4Auth(BotoAWSRequestsAuth):
    """Sign each request with the credentials botocore finds, refreshed when they expire.

    Args:
        host: The ``Host`` header the requests carry.
        region: The region of the API.
        service: The signing name, ``execute-api`` for API Gateway.

    Raises:
        ConfigurationError: botocore found no credentials.
    """

    def __init__(self, host: str, region: str, service: str) -> None:
        super().__init__(aws_host=host, aws_region=region, aws_service=service)
        credentials = self._refreshable_credentials
        if credentials is None:
            raise ConfigurationError(NO_CREDENTIALS_HINT)

    @property
    def fingerprint(self) -> str:
        """The access key id (not secret) of the current credentials."""
        return "iam:" + str(self._refreshable_credentials.get_frozen_credentials().access_key)

    def __repr__(self) -> str:
        return f"SigV4Auth(host={self.aws_host!r}, region={self.aws_region!r})"
