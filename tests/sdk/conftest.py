"""Fixtures for the SDK tests: a clean environment, a fake API and fake time.

Every HTTP exchange goes through ``responses``; nothing leaves the process.
"""

from __future__ import annotations

import copy
import json
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import responses
from sdk.fake_api import FakeApi

from silent_scalper import ApiKeyAuth, Client, Files
from silent_scalper._http import Transport
from silent_scalper._retry import RetryPolicy

ENDPOINT = "http://scalper.test/v1"
API_KEY = "sk-test-0123456789"
PAYLOADS = Path(__file__).parent / "payloads"


class FakeTime:
    """A clock that only moves when something sleeps; records every sleep."""

    def __init__(self) -> None:
        self.now = 1000.0
        self.sleeps: list[float] = []

    def monotonic(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds


@pytest.fixture(autouse=True)
def clean_env(monkeypatch: pytest.MonkeyPatch) -> None:
    """No test sees the developer's SCALPER_* settings."""
    for name in ("SCALPER_ENDPOINT", "SCALPER_IAM_ENDPOINT", "SCALPER_API_KEY", "SCALPER_AUTH", "SCALPER_JOURNAL"):
        monkeypatch.delenv(name, raising=False)


@pytest.fixture
def api() -> Iterator[responses.RequestsMock]:
    """The fake API and storage; fails the test if a registered call is never made."""
    with responses.RequestsMock(assert_all_requests_are_fired=True) as mock:
        yield mock


@pytest.fixture
def fake_time() -> FakeTime:
    return FakeTime()


@pytest.fixture
def sleeps(fake_time: FakeTime) -> list[float]:
    """Every delay slept on fake time, in order."""
    return fake_time.sleeps


@pytest.fixture
def transport(fake_time: FakeTime) -> Iterator[Transport]:
    """A transport with the default retry policy whose sleeps are recorded, not slept."""
    transport = Transport(ENDPOINT, auth=ApiKeyAuth(API_KEY), retry=RetryPolicy(max_retries=2, sleep=fake_time.sleep))
    yield transport
    transport.close()


@pytest.fixture
def files(transport: Transport, fake_time: FakeTime) -> Files:
    """The files resource on fake time, for ``wait()``."""
    return Files(transport, clock=fake_time.monotonic, sleep=fake_time.sleep)


@pytest.fixture
def client() -> Iterator[Client]:
    """A client bound to the fake endpoint."""
    with Client(ENDPOINT, API_KEY) as client:
        yield client


@pytest.fixture
def payload() -> Callable[..., dict[str, Any]]:
    """Load a sample payload from ``payloads/<name>.json``, with top-level overrides."""

    def load(name: str, **overrides: Any) -> dict[str, Any]:
        data: dict[str, Any] = json.loads((PAYLOADS / f"{name}.json").read_text())
        return copy.deepcopy(data) | overrides

    return load


@pytest.fixture
def error_body() -> Callable[..., dict[str, Any]]:
    """Build the API's error shape."""

    def build(code: str, message: str = "something is wrong", request_id: str | None = "req-1") -> dict[str, Any]:
        return {"error": {"code": code, "message": message, "request_id": request_id}}

    return build


@pytest.fixture
def fake_api(payload: Callable[..., dict[str, Any]]) -> Iterator[FakeApi]:
    """A fake API and storage that serve any number of uploads (see ``FakeApi``)."""
    with responses.RequestsMock(assert_all_requests_are_fired=False) as mock:
        yield FakeApi(mock, payload)
