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
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import boto3
import pytest
import requests

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

    def aws(self, service: str) -> Any:
        return boto3.client(service, endpoint_url=self.aws_endpoint, region_name="us-east-1")

    def name(self, logical_id: str) -> str:
        return self.template.physical_name(logical_id)

    def api(self, method: str, path: str, partner: str | None = "acme", **kwargs: Any) -> requests.Response:
        headers = dict(kwargs.pop("headers", {}))
        if partner is not None:
            headers["x-api-key"] = self.keys[partner]
        return requests.request(method, self.endpoint + path, headers=headers, timeout=10, **kwargs)

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
    log = tmp_path_factory.mktemp("stack") / "stack.log"
    args = [sys.executable, "-m", "silent_scalper", "local", "--port", "0", "--log-level", "WARNING"]
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
    Every call makes a new file (``allow_duplicate``): tests send the same bytes often.
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
            "allow_duplicate": True,
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
