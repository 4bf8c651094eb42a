"""The embedded local stack, started once for the end-to-end tests, in its own process.

It runs exactly as a user runs it (``scalper local``), and in a separate
process so that unit tests' ``mock_aws`` (which resets moto's in-process state) cannot
touch it. Tests talk to it only over HTTP on loopback: the API through the gateway, and
moto's endpoint to look inside buckets, queues and the table.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import boto3
import pytest
import requests
from support.signing import Keys, send

from scalper_backend.local.template import Template

ROOT = Path(__file__).resolve().parents[2]
PARTNERS = ("acme", "globex")
FINAL = {"processed", "quarantined"}


@dataclass
class Stack:
    endpoint: str
    aws_endpoint: str
    keys: dict[str, str]
    template: Template
    iam_endpoint: str = ""
    iam_keys: dict[str, Keys] = field(default_factory=dict)

    def aws(self, service: str) -> Any:
        return boto3.client(service, endpoint_url=self.aws_endpoint, region_name="us-east-1")

    def name(self, logical_id: str) -> str:
        return self.template.physical_name(logical_id)

    def api(self, method: str, path: str, partner: str | None = "acme", **kwargs: Any) -> requests.Response:
        headers = dict(kwargs.pop("headers", {}))
        if partner is not None:
            headers["x-api-key"] = self.keys[partner]
        return requests.request(method, self.endpoint + path, headers=headers, timeout=10, **kwargs)

    def partners_plan_id(self) -> str:
        """The id moto gave the template's PartnersUsagePlan."""
        name = self.template.resolve(self.template.properties("PartnersUsagePlan")["UsagePlanName"])
        return next(p["id"] for p in self.aws("apigateway").get_usage_plans()["items"] if p["name"] == name)

    def onboard(self, partner_id: str, *, iam_arn: str | None = None, plan: str | None = None) -> Any:
        """Onboard a partner as ``scalper admin partner create`` does; returns the new key
        (its value is also put in ``keys``). ``plan`` is a usage plan id other than the
        template's (a test's own limits)."""
        from scalper_backend.adapters.api_keys import ApiKeys
        from scalper_backend.adapters.partners_table import PartnersTable
        from scalper_backend.onboarding import create_partner

        new = create_partner(
            partner_id,
            keys=ApiKeys(self.aws("apigateway"), plan or self.partners_plan_id()),
            table=PartnersTable(self.aws("dynamodb"), self.name("PartnersTable")),
            iam_arn=iam_arn,
        )
        self.keys[partner_id] = new.api_key
        return new

    def deployed_stack(self, name: str) -> None:
        """A CloudFormation stack in moto with the outputs a deployed template.yaml has, for
        ``scalper admin --stack-name`` (boto3 reaches moto through ``AWS_ENDPOINT_URL``)."""
        import json

        template = {
            "Resources": {"Nothing": {"Type": "AWS::CloudFormation::WaitConditionHandle"}},
            "Outputs": {
                "PartnersTableName": {"Value": self.name("PartnersTable")},
                "PartnersUsagePlanId": {"Value": self.partners_plan_id()},
            },
        }
        self.aws("cloudformation").create_stack(StackName=name, TemplateBody=json.dumps(template))

    def iam_api(self, method: str, path: str, partner: str | None = "acme", **kwargs: Any) -> requests.Response:
        """A request to the IAM API, SigV4-signed with the partner's IAM user (unsigned for ``None``)."""
        if partner is None:
            return requests.request(method, self.iam_endpoint + path, timeout=10, **kwargs)
        return send(method, self.iam_endpoint + path, self.iam_keys[partner], **kwargs)

    def wait_final(self, file_id: str, partner: str = "acme", timeout: float = 30.0) -> dict[str, Any]:
        deadline = time.monotonic() + timeout
        while True:
            record = self.api("GET", f"/files/{file_id}", partner).json()
            if record["state"] in FINAL or time.monotonic() > deadline:
                return record  # type: ignore[no-any-return]
            time.sleep(0.1)

    def queue_url(self, logical_id: str) -> str:
        return self.aws("sqs").get_queue_url(QueueName=self.name(logical_id))["QueueUrl"]  # type: ignore[no-any-return]

    def wait_queue_empty(self, logical_id: str, timeout: float = 20.0) -> None:
        sqs, url = self.aws("sqs"), self.queue_url(logical_id)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            attrs = sqs.get_queue_attributes(
                QueueUrl=url,
                AttributeNames=["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"],
            )["Attributes"]
            if attrs["ApproximateNumberOfMessages"] == "0" and attrs["ApproximateNumberOfMessagesNotVisible"] == "0":
                return
            time.sleep(0.1)
        raise AssertionError(f"{logical_id} still has messages after {timeout}s")


@pytest.fixture(scope="session")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    # Unthrottled: many modules share this stack and one test's burst would throttle the
    # next; test_throttling runs a throttled stack of its own.
    with running_stack(tmp_path_factory.mktemp("stack") / "stack.log", "--no-throttle") as started:
        yield started


@contextmanager
def running_stack(log: Path, *options: str) -> Iterator[Stack]:
    """``scalper local`` in its own process, as a user runs it, until the block ends."""
    args = [sys.executable, "-m", "silent_scalper", "local", "--port", "0", "--log-level", "WARNING", *options]
    for partner in PARTNERS:
        args += ["--partner", partner]
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
    with log.open("w") as stderr:
        process = subprocess.Popen(args, cwd=ROOT, stdout=subprocess.PIPE, stderr=stderr, text=True, env=env)
        try:
            values = _read_env_lines(process, until="SCALPER_AWS_ENDPOINT", log=log)
            yield Stack(
                endpoint=values["SCALPER_ENDPOINT"],
                aws_endpoint=values["SCALPER_AWS_ENDPOINT"],
                keys={
                    "demo": values["SCALPER_API_KEY"],
                    **{p: values[f"SCALPER_API_KEY_{p.upper()}"] for p in PARTNERS},
                },
                template=Template(ROOT / "template.yaml", stack_name="scalper-local", region="us-east-1"),
                iam_endpoint=values["SCALPER_IAM_ENDPOINT"],
                iam_keys={
                    p: Keys(
                        values[f"SCALPER_AWS_ACCESS_KEY_ID_{p.upper()}"],
                        values[f"SCALPER_AWS_SECRET_ACCESS_KEY_{p.upper()}"],
                    )
                    for p in ("demo", *PARTNERS)
                },
            )
        finally:
            process.terminate()
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:  # a loaded machine: never leave it behind
                process.kill()
                process.wait()


def _read_env_lines(process: subprocess.Popen[str], *, until: str, log: Path) -> dict[str, str]:
    assert process.stdout is not None
    values: dict[str, str] = {}
    for line in process.stdout:
        name, _, value = line.strip().partition("=")
        values[name] = value
        if name == until:
            return values
    raise RuntimeError(f"the local stack did not start:\n{log.read_text()}")


@pytest.fixture
def upload(stack: Stack) -> Callable[..., dict[str, Any]]:
    """Declare and PUT a file through the API; returns the POST answer.

    ``declared`` overrides what is declared (to make the body and the declaration differ).
    """
    import hashlib

    def _upload(
        body: bytes,
        *,
        filename: str = "file.csv",
        content_type: str = "text/csv",
        partner: str = "acme",
        declared: dict[str, Any] | None = None,
    ) -> dict[str, Any]:
        payload = {
            "filename": filename,
            "size": len(body),
            "content_type": content_type,
            "sha256": hashlib.sha256(body).hexdigest(),
            **(declared or {}),
        }
        answer = stack.api("POST", "/uploads", partner, json=payload)
        assert answer.status_code == 201, answer.text
        ticket = answer.json()
        headers = dict(ticket["upload"]["headers"])
        headers["Content-Length"] = str(len(body))
        put = requests.put(ticket["upload"]["url"], data=body, headers=headers, timeout=10)
        assert put.status_code == 200, put.text
        return ticket  # type: ignore[no-any-return]

    return _upload


@pytest.fixture
def onboard(stack: Stack) -> Callable[..., Any]:
    return stack.onboard


@pytest.fixture
def unique() -> Callable[[str], str]:
    """A partner id no other test uses (the session's stack is shared)."""
    import secrets

    return lambda prefix: f"{prefix}-{secrets.token_hex(4)}"
