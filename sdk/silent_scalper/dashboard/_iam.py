"""A SigV4 signer for the IAM API, for ``scalper dashboard --auth iam``.

Stand-in until the SDK's own ``Client(auth="iam")`` (wip/sdk) is merged; then
:func:`iam_client` becomes ``Client(endpoint, auth="iam")`` and this module goes.
"""

from __future__ import annotations

import re
from urllib.parse import urlsplit

from requests import PreparedRequest
from requests.auth import AuthBase

from .._client import Client
from .._exceptions import ConfigurationError

SERVICE = "execute-api"
LOCAL_REGION = "us-east-1"
_EXECUTE_API_HOST = re.compile(r"[a-z0-9]+\.execute-api\.([a-z0-9-]+)\.amazonaws\.com")
# Signed besides Host (which botocore takes from the URL): what the API reads of the request.
_SIGNED_HEADERS = ("content-type",)


class SigV4(AuthBase):
    """Sign each API request with the standard AWS credential chain (botocore's signer)."""

    def __init__(self, region: str | None) -> None:
        try:
            import botocore.session
        except ImportError as err:
            raise ConfigurationError("IAM auth needs botocore: pip install botocore") from err
        session = botocore.session.get_session()
        credentials = session.get_credentials()
        if credentials is None:
            raise ConfigurationError("IAM auth found no AWS credentials (environment, profile, SSO, role...)")
        self._credentials = credentials
        self._region = region or session.get_config_variable("region") or LOCAL_REGION

    def __call__(self, request: PreparedRequest) -> PreparedRequest:
        from botocore.auth import SigV4Auth
        from botocore.awsrequest import AWSRequest

        headers = {k: v for k, v in request.headers.items() if k.lower() in _SIGNED_HEADERS}
        unsigned = AWSRequest(method=request.method, url=request.url, data=request.body, headers=headers)
        # Frozen per request: refreshable credentials (a role's) may rotate in between.
        SigV4Auth(self._credentials.get_frozen_credentials(), SERVICE, self._region).add_auth(unsigned)
        for name in ("Authorization", "X-Amz-Date", "X-Amz-Security-Token"):
            if name in unsigned.headers:
                request.headers[name] = unsigned.headers[name]
        return request

    def __repr__(self) -> str:
        return f"SigV4(region={self._region!r})"


def iam_client(endpoint: str) -> Client:
    """A client for the IAM API at ``endpoint``, signing for the region in its host name
    (``<id>.execute-api.<region>.amazonaws.com``), else the AWS configuration's region,
    else ``us-east-1`` (the local stack's)."""
    match = _EXECUTE_API_HOST.fullmatch(urlsplit(endpoint).hostname or "")
    return Client(endpoint, auth=SigV4(match.group(1) if match else None))
