"""Where the client's endpoint and API key come from.

An explicit argument beats the environment; both are read once, when the client is
built. This is the only module of the SDK that reads ``os.environ``.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from urllib.parse import urlsplit

from ._exceptions import ConfigurationError

ENDPOINT_ENV = "SCALPER_ENDPOINT"
API_KEY_ENV = "SCALPER_API_KEY"


def resolve_endpoint(explicit: str | None, environ: Mapping[str, str] | None = None) -> str:
    """Pick the API base URL, stage included (``http://127.0.0.1:8088/v1``).

    Args:
        explicit: The value passed to the client, if any.
        environ: The environment to read; ``os.environ`` by default.

    Returns:
        The endpoint without a trailing slash.

    Raises:
        ConfigurationError: Neither is set, or the value is not an http(s) URL.
    """
    endpoint = _pick(explicit, ENDPOINT_ENV, environ)
    if endpoint is None:
        raise ConfigurationError(
            f"no endpoint: pass endpoint=... or set {ENDPOINT_ENV} (for example http://127.0.0.1:8088/v1)"
        )
    endpoint = endpoint.rstrip("/")
    parts = urlsplit(endpoint)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise ConfigurationError(f"endpoint must be an http(s) URL, got {endpoint!r}")
    return endpoint


def resolve_api_key(explicit: str | None, environ: Mapping[str, str] | None = None) -> str:
    """Pick the partner API key.

    Args:
        explicit: The value passed to the client, if any.
        environ: The environment to read; ``os.environ`` by default.

    Returns:
        The API key.

    Raises:
        ConfigurationError: Neither is set.
    """
    api_key = _pick(explicit, API_KEY_ENV, environ)
    if api_key is None:
        raise ConfigurationError(f"no API key: pass api_key=... or set {API_KEY_ENV}")
    return api_key


def _pick(explicit: str | None, name: str, environ: Mapping[str, str] | None) -> str | None:
    if explicit:
        return explicit
    # Read at call time, not in a default argument, so the environment is the one of
    # the moment the client is built rather than of the import.
    value = (os.environ if environ is None else environ).get(name, "").strip()
    return value or None
