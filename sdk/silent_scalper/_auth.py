"""Authentication as pluggable ``requests`` auth objects.

``Client(auth=...)`` accepts any :class:`requests.auth.AuthBase`. Two come with the SDK:
:class:`ApiKeyAuth` (the ``x-api-key`` header) and, with the ``silent-scalper[iam]``
extra, a SigV4 signer for the IAM-authorised API (:func:`iam_auth`). Neither is ever
applied to presigned storage URLs, which carry their own signature.
"""

from __future__ import annotations

import hashlib
from urllib.parse import urlsplit

from requests import PreparedRequest
from requests.auth import AuthBase

from ._exceptions import ConfigurationError

API_KEY_HEADER = "x-api-key"
IAM_EXTRA_HINT = "IAM auth needs the extra: pip install 'silent-scalper[iam]'"
EXECUTE_API_SERVICE = "execute-api"


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

    @property
    def fingerprint(self) -> str:
        """A short, one-way digest of the key: tells journals of two partners apart."""
        return "apikey:" + hashlib.sha256(self._api_key.encode()).hexdigest()[:16]

    def __repr__(self) -> str:
        return "ApiKeyAuth(api_key='****')"


def iam_auth(endpoint: str, region: str) -> AuthBase:
    """Build a SigV4 signer for ``execute-api`` requests to ``endpoint``.

    Credentials come from the standard AWS chain (environment, shared config and
    credentials files, SSO, assumed roles, container and instance metadata) through
    botocore, and are refreshed when they expire.

    Args:
        endpoint: The IAM-authorised API's base URL; its host is signed.
        region: The API's region.

    Returns:
        The signer, a ``requests`` auth object.

    Raises:
        ConfigurationError: The ``silent-scalper[iam]`` extra is not installed, or no
            AWS credentials were found.
    """
    try:
        from ._sigv4 import SigV4Auth
    except ImportError as err:
        raise ConfigurationError(f"{IAM_EXTRA_HINT} ({err.name or err} is missing)") from err
    return SigV4Auth(signed_host(endpoint), region, EXECUTE_API_SERVICE)


def signed_host(endpoint: str) -> str:
    """The ``Host`` header ``requests`` sends to ``endpoint`` (the port only when not the default)."""
    parts = urlsplit(endpoint)
    host = parts.hostname or ""
    if ":" in host:
        host = f"[{host}]"
    default_port = 443 if parts.scheme == "https" else 80
    if parts.port is not None and parts.port != default_port:
        return f"{host}:{parts.port}"
    return host


def auth_fingerprint(auth: AuthBase) -> str:
    """A non-secret name for whoever ``auth`` authenticates, for scoping local journals."""
    fingerprint = getattr(auth, "fingerprint", None)
    return fingerprint if isinstance(fingerprint, str) else type(auth).__name__
