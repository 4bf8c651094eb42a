"""Authentication as pluggable ``requests`` auth objects.

``Client(auth=...)`` accepts any :class:`requests.auth.AuthBase`, so a SigV4 signer (for
IAM-authorised stages) can replace the API key without touching the rest of the SDK.
"""

from __future__ import annotations

from requests import PreparedRequest
from requests.auth import AuthBase

from ._exceptions import ConfigurationError

API_KEY_HEADER = "x-api-key"


class ApiKeyAuth(AuthBase):
    """Send the partner API key in the ``x-api-key`` header.

    The key is never part of ``repr()`` or ``str()``, so it cannot leak into logs or
    tracebacks.

    Args:
        api_key: The partner's API key.

    Raises:
        ConfigurationError: The key is empty.
    """

    def __init__(self, api_key: str) -> None:
        if not api_key:
            raise ConfigurationError("the API key is empty")
        self._api_key = api_key

    def __call__(self, request: PreparedRequest) -> PreparedRequest:
        request.headers[API_KEY_HEADER] = self._api_key
        return request

    def __repr__(self) -> str:
        return "ApiKeyAuth(api_key='****')"
