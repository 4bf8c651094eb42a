"""Fixtures for every test: a clean, fake AWS environment and the local stack's template."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from scalper_backend.local.template import Template

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="session", autouse=True)
def _fake_aws_env() -> Iterator[None]:
    """No test may reach a real AWS account, whatever the developer's shell holds.

    Session-scoped, so that it is in place before any module or session fixture runs
    (they are set up before function-scoped ones), in whatever order the tests come.
    """
    with pytest.MonkeyPatch.context() as env:
        cleared = ("AWS_PROFILE", "AWS_SESSION_TOKEN", "AWS_SECURITY_TOKEN", "AWS_ENDPOINT_URL", "AWS_ENDPOINT_URL_S3")
        for name in cleared:
            env.delenv(name, raising=False)
        env.setenv("AWS_ACCESS_KEY_ID", "testing")
        env.setenv("AWS_SECRET_ACCESS_KEY", "testing")
        env.setenv("AWS_DEFAULT_REGION", "us-east-1")
        env.setenv("POWERTOOLS_LOG_LEVEL", "WARNING")
        yield


@pytest.fixture(scope="session")
def template() -> Template:
    return Template(ROOT / "template.yaml", stack_name="scalper-test", region="us-east-1")
