"""``scalper doctor``: check the endpoint, its stage, the credentials and the clock.

Prints one line per check (``ok``, ``warn`` or ``FAIL``, what was checked, what to do)
and exits 0 when nothing failed, 1 when a check failed, 2 when the configuration is
incomplete.
"""

from __future__ import annotations

import argparse
import time
from dataclasses import dataclass
from email.utils import parsedate_to_datetime
from urllib.parse import urlsplit

from .._client import Client
from .._exceptions import APIConnectionError, ConfigurationError
from ._common import EXIT_FAILED, EXIT_OK, EXIT_USAGE, client_options

# SigV4 requests more than 5 minutes off the server's clock are refused.
MAX_SKEW_S = 300.0
WARN_SKEW_S = 30.0


@dataclass(frozen=True)
class Check:
    """One line of the report."""

    status: str  # "ok", "warn" or "FAIL"
    name: str
    detail: str


def add_parser(
    subparsers: argparse._SubParsersAction[argparse.ArgumentParser],
    parents: list[argparse.ArgumentParser],
) -> None:
    """Register the ``doctor`` command."""
    parser = subparsers.add_parser(
        "doctor",
        parents=parents,
        help="check the endpoint, stage, credentials and clock, and say what is wrong",
        description="Check the configuration against the API. Exits 0 when every check passed, "
        "1 when one failed, 2 when the configuration is incomplete.",
    )
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    """Run the checks in order, stopping at the first that makes the next meaningless."""
    checks: list[Check] = []
    try:
        client = Client(**client_options(args))
    except ConfigurationError as err:
        _print([Check("FAIL", "config", err.message)])
        return EXIT_USAGE
    with client:
        checks.append(Check("ok", "config", f"endpoint {client.endpoint}, auth {_auth_name(client)}"))
        checks += diagnose(client)
    _print(checks)
    return EXIT_FAILED if any(check.status == "FAIL" for check in checks) else EXIT_OK


def diagnose(client: Client) -> list[Check]:
    """Ask the API for one page of files and read what the answer says about the setup."""
    transport = client._transport
    try:
        response = transport.probe("/files", {"limit": 1})
    except APIConnectionError as err:
        return [Check("FAIL", "endpoint", err.message)]
    checks = [Check("ok", "endpoint", f"{client.endpoint} answered HTTP {response.status_code}")]
    checks.append(_clock(response.headers.get("Date")))
    if response.ok:
        checks.append(Check("ok", "stage", urlsplit(client.endpoint).path or "/"))
        checks.append(Check("ok", "auth", "credentials accepted: the API knows your partner"))
        return checks
    error = transport.status_error(response)
    if error.status_code == 404 or "stage" in error.message:
        checks.append(Check("FAIL", "stage", f"{error.code}: {error.message}"))
    elif error.status_code in (401, 403):
        checks.append(Check("FAIL", "auth", f"{error.code}: {error.message}; {_auth_hint(client)}"))
    else:
        checks.append(Check("FAIL", "api", str(error)))
    return checks


def _clock(date: str | None) -> Check:
    if not date:
        return Check("warn", "clock", "the answer had no Date header to compare with")
    try:
        server = parsedate_to_datetime(date).timestamp()
    except (TypeError, ValueError):
        return Check("warn", "clock", f"unreadable Date header {date!r}")
    # The Date header has whole seconds: up to 1 s of skew is just rounding.
    skew = time.time() - server
    text = f"this machine is {abs(skew):.0f}s {'ahead of' if skew > 0 else 'behind'} the API"
    if abs(skew) > MAX_SKEW_S:
        return Check("FAIL", "clock", f"{text}: signed requests are refused beyond 5 minutes; set the time (NTP)")
    if abs(skew) > WARN_SKEW_S:
        return Check("warn", "clock", f"{text}; presigned URLs and signatures may expire early")
    return Check("ok", "clock", f"within {max(abs(skew), 1):.0f}s of the API")


def _auth_name(client: Client) -> str:
    return "iam (SigV4)" if "SigV4" in repr(client._transport.auth) else "api key"


def _auth_hint(client: Client) -> str:
    if "SigV4" in repr(client._transport.auth):
        return "check the AWS credentials (AWS_ACCESS_KEY_ID/AWS_PROFILE), the region, and that they map to a partner"
    return "check SCALPER_API_KEY (or --api-key), and that it is the key for this endpoint"


def _print(checks: list[Check]) -> None:
    width = max(len(check.name) for check in checks)
    for check in checks:
        print(f"{check.status:<4}  {check.name:<{width}}  {check.detail}")
