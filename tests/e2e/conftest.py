"""The embedded local stack, started once for the end-to-end tests, in its own process.

It runs exactly as a user runs it (``scalper local``), and in a separate
process so that unit tests' ``mock_aws`` (which resets moto's in-process state) cannot
touch it. Tests talk to it only over HTTP on loopback: the API through the gateway, S3
through the verifying edge, and moto's endpoint to look inside buckets, queues and the
table.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from support.local_stack import PARTNERS as DEFAULT_PARTNERS
from support.local_stack import Stack, local_stack

# acme and globex have the default rules; the others a profile of E2E_RULES each.
PARTNERS = (*DEFAULT_PARTNERS, "clinic", "radiology", "reports")
E2E_RULES = Path(__file__).resolve().parent / "rules" / "partners.toml"


@pytest.fixture(scope="session")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    # Unthrottled: many modules share this stack and one test's burst would throttle the
    # next; test_throttling runs a throttled stack of its own. INFO, as on AWS: the log is
    # read by the test that no file content or name reaches it.
    log = tmp_path_factory.mktemp("stack") / "stack.log"
    options = ("--no-throttle", "--rules", str(E2E_RULES))
    with local_stack(log, *options, log_level="INFO", partners=PARTNERS) as started:
        yield started


@pytest.fixture
def declare(stack: Stack) -> Callable[..., dict[str, Any]]:
    """Declare a file through the API (``Stack.declare``)."""
    return stack.declare


@pytest.fixture
def upload(stack: Stack) -> Callable[..., dict[str, Any]]:
    """Declare and PUT a file through the API (``Stack.upload``)."""
    return stack.upload


@pytest.fixture
def onboard(stack: Stack) -> Callable[..., Any]:
    return stack.onboard


@pytest.fixture
def unique() -> Callable[[str], str]:
    """A partner id no other test uses (the session's stack is shared)."""
    import secrets

    return lambda prefix: f"{prefix}-{secrets.token_hex(4)}"
