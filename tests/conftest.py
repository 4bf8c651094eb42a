"""Fixtures for every test: a clean, fake AWS environment and the local stack's template."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from scalper_backend.local.template import Template

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(autouse=True)
def _fake_aws_env(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """No test may reach a real AWS account, whatever the developer's shell holds."""
    for name in ("AWS_PROFILE", "AWS_SESSION_TOKEN", "AWS_SECURITY_TOKEN", "AWS_ENDPOINT_URL", "AWS_ENDPOINT_URL_S3"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")
    monkeypatch.setenv("POWERTOOLS_LOG_LEVEL", "WARNING")
    yield


@pytest.fixture(scope="session")
def template() -> Template:
    return Template(ROOT / "template.yaml", stack_name="scalper-test", region="us-east-1")
