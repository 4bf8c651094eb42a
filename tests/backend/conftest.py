"""Backend unit tests: moto's ``mock_aws`` with the template's own tables, queues and buckets."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import boto3
import pytest
from moto import mock_aws

from scalper_backend.adapters.clients import AwsClients
from scalper_backend.config import Settings
from scalper_backend.dependencies import Dependencies, dependencies
from scalper_backend.local.provision import Provisioned, provision
from scalper_backend.local.template import Template

EVENTS = Path(__file__).resolve().parents[2] / "events"


@pytest.fixture
def load_event() -> Any:
    """Loads a sample AWS event from ``events/`` by file name (without ``.json``)."""

    def _load(name: str) -> dict[str, Any]:
        return json.loads((EVENTS / f"{name}.json").read_text())  # type: ignore[no-any-return]

    return _load


@dataclass
class Backend:
    deps: Dependencies
    clients: dict[str, Any]
    resources: Provisioned
    settings: Settings


@pytest.fixture
def backend(template: Template, monkeypatch: pytest.MonkeyPatch) -> Iterator[Backend]:
    """The template's resources in mock_aws, and the dependencies the handlers would build."""
    environment = template.function_environment("ProcessorFunction")
    for name, value in environment.items():
        monkeypatch.setenv(name, value)
    with mock_aws():
        clients = {name: boto3.client(name) for name in ("s3", "sqs", "dynamodb", "sns", "kms", "apigateway")}
        resources = provision(template, clients)
        settings = Settings.from_env(environment)
        dependencies.cache_clear()
        yield Backend(Dependencies(settings, AwsClients.create()), clients, resources, settings)
        dependencies.cache_clear()
