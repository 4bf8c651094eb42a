"""Where the client's endpoint, credentials and local state come from.

An explicit argument beats the environment; both are read once, when the client is
built. This is the only module of the SDK that reads ``os.environ``.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from pathlib import Path
from typing import Literal
from urllib.parse import urlsplit

from ._exceptions import ConfigurationError

ENDPOINT_ENV = "SCALPER_ENDPOINT"
IAM_ENDPOINT_ENV = "SCALPER_IAM_ENDPOINT"
API_KEY_ENV = "SCALPER_API_KEY"
AUTH_ENV = "SCALPER_AUTH"
JOURNAL_ENV = "SCALPER_JOURNAL"
REGION_ENVS = ("AWS_REGION", "AWS_DEFAULT_REGION")

AuthMode = Literal["api_key", "iam"]
AUTH_MODES: tuple[AuthMode, ...] = ("api_key", "iam")

# https://<api-id>.execute-api.<region>.amazonaws.com (and .amazonaws.com.cn in China).
_EXECUTE_API_HOST = re.compile(r"^[a-z0-9]+\.execute-api\.([a-z0-9-]+)\.amazonaws\.com(?:\.cn)?$")
# The embedded local stack always runs in this region (scalper_backend.local.stack).
LOCAL_STACK_REGION = "us-east-1"
_LOOPBACK_HOSTS = frozenset({"127.0.0.1", "localhost", "::1"})


def resolve_auth_mode(explicit: str | None, environ: Mapping[str, str] | None = None) -> AuthMode:
    """Pick how requests are authenticated: ``api_key`` (the default) or ``iam``.

    Raises:
        ConfigurationError: The value is neither.
    """
    mode = (_pick(explicit, AUTH_ENV, environ) or "api_key").lower().replace("-", "_")
    for known in AUTH_MODES:
        if mode == known:
            return known
    raise ConfigurationError(f"auth must be one of {', '.join(AUTH_MODES)} (from auth=... or {AUTH_ENV}), got {mode!r}")


def resolve_endpoint(
    explicit: str | None, environ: Mapping[str, str] | None = None, *, auth_mode: AuthMode = "api_key"
) -> str:
    """Pick the API base URL, stage included (``http://127.0.0.1:8088/v1``).

    With IAM auth, ``SCALPER_IAM_ENDPOINT`` (the IAM-authorised API) is preferred over
    ``SCALPER_ENDPOINT``.

    Args:
        explicit: The value passed to the client, if any.
        environ: The environment to read; ``os.environ`` by default.
        auth_mode: The auth mode, which decides the variables read.

    Returns:
        The endpoint without a trailing slash.

    Raises:
        ConfigurationError: Nothing is set, or the value is not an http(s) URL.
    """
    names = (IAM_ENDPOINT_ENV, ENDPOINT_ENV) if auth_mode == "iam" else (ENDPOINT_ENV,)
    endpoint = explicit.strip() if explicit else None
    for name in names:
        endpoint = endpoint or _pick(None, name, environ)
    if endpoint is None:
        raise ConfigurationError(
            f"no endpoint: pass endpoint=... or set {' or '.join(names)} "
            "(for the local stack, start `scalper local` and source the lines it prints)"
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
        raise ConfigurationError(f"no API key: pass api_key=... or set {API_KEY_ENV} (or use auth='iam')")
    return api_key


def resolve_region(explicit: str | None, endpoint: str, environ: Mapping[str, str] | None = None) -> str:
    """Pick the AWS region requests are signed for.

    In order: the explicit argument; the region in an ``execute-api`` host name; the
    local stack's region for a loopback endpoint; ``AWS_REGION``; ``AWS_DEFAULT_REGION``.

    Raises:
        ConfigurationError: None of them gives a region.
    """
    if explicit:
        return explicit
    host = (urlsplit(endpoint).hostname or "").lower()
    if match := _EXECUTE_API_HOST.match(host):
        return match.group(1)
    if host in _LOOPBACK_HOSTS:
        return LOCAL_STACK_REGION
    for name in REGION_ENVS:
        if region := _pick(None, name, environ):
            return region
    raise ConfigurationError(
        f"no AWS region for {host}: pass region=... or set {' or '.join(REGION_ENVS)} "
        "(it is read from the host name only for https://<id>.execute-api.<region>.amazonaws.com)"
    )


def resolve_journal_path(explicit: str | os.PathLike[str] | None, environ: Mapping[str, str] | None = None) -> Path:
    """Pick where the CLI keeps its resume journal.

    In order: the explicit path; ``SCALPER_JOURNAL``; ``$XDG_STATE_HOME/silent-scalper/journal.jsonl``;
    ``~/.local/state/silent-scalper/journal.jsonl``.
    """
    if explicit:
        return Path(explicit)
    if configured := _pick(None, JOURNAL_ENV, environ):
        return Path(configured)
    state_home = _pick(None, "XDG_STATE_HOME", environ)
    base = Path(state_home) if state_home else Path.home() / ".local" / "state"
    return base / "silent-scalper" / "journal.jsonl"


def _pick(explicit: str | None, name: str, environ: Mapping[str, str] | None) -> str | None:
    if explicit:
        return explicit
    # Read at call time, not in a default argument, so the environment is the one of
    # the moment the client is built rather than of the import.
    value = (os.environ if environ is None else environ).get(name, "").strip()
    return value or None
