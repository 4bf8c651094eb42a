"""The embedded local stack run as a user runs it (``scalper local``), in its own process,
and a client for it: the API through the gateway, and moto's endpoint to look inside
buckets, queues and tables."""

from __future__ import annotations

import hashlib
import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import boto3
import requests
from botocore.config import Config as AwsConfig

from scalper_backend.local.cli import env_name
from scalper_backend.local.provision import ALERTS_INBOX
from scalper_backend.local.stack import LOCAL_CREDENTIALS
from scalper_backend.local.template import Template
from support.signing import Keys, send

ROOT = Path(__file__).resolve().parents[2]
PARTNERS = ("acme", "globex")
FINAL = {"processed", "quarantined"}


@dataclass
class Stack:
    endpoint: str
    s3_endpoint: str
    aws_endpoint: str
    keys: dict[str, str]
    template: Template
    log: Path
    iam_endpoint: str = ""
    iam_keys: dict[str, Keys] = field(default_factory=dict)

    def s3(self, credentials: Any = LOCAL_CREDENTIALS) -> Any:
        """An S3 client through the verifying edge, signing as the handlers do."""
        return boto3.client(
            "s3",
            endpoint_url=self.s3_endpoint,
            region_name="us-east-1",
            aws_access_key_id=credentials.access_key,
            aws_secret_access_key=credentials.secret_key,
            config=AwsConfig(signature_version="s3v4", request_checksum_calculation="when_required"),
        )

    def aws(self, service: str) -> Any:
        """A client straight to moto, to look inside (no S3 checks on this path).

        Explicit fake credentials: a module-scoped fixture must not depend on test order."""
        return boto3.client(
            service,
            endpoint_url=self.aws_endpoint,
            region_name="us-east-1",
            aws_access_key_id="testing",
            aws_secret_access_key="testing",
        )

    def name(self, logical_id: str) -> str:
        return self.template.physical_name(logical_id)

    def api(self, method: str, path: str, partner: str | None = "acme", **kwargs: Any) -> requests.Response:
        headers = dict(kwargs.pop("headers", {}))
        if partner is not None:
            headers["x-api-key"] = self.keys[partner]
        kwargs.setdefault("timeout", 10)
        return requests.request(method, self.endpoint + path, headers=headers, **kwargs)

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

    def declare(
        self,
        body: bytes,
        *,
        filename: str = "file.csv",
        content_type: str = "text/csv",
        partner: str = "acme",
        declared: dict[str, Any] | None = None,
    ) -> dict[str, Any]:
        """Declare a file through the API (truthfully, unless ``declared`` overrides fields);
        returns the POST answer, with its presigned ``upload`` target. Every call makes a new
        file (``allow_duplicate``): tests send the same bytes often."""
        payload = {
            "filename": filename,
            "size": len(body),
            "content_type": content_type,
            "sha256": hashlib.sha256(body).hexdigest(),
            "allow_duplicate": True,
            **(declared or {}),
        }
        answer = self.api("POST", "/uploads", partner, json=payload)
        assert answer.status_code == 201, answer.text
        return answer.json()  # type: ignore[no-any-return]

    def upload(self, body: bytes, **declaration: Any) -> dict[str, Any]:
        """Declare and PUT a file through the API, with exactly the signed headers; returns
        the POST answer."""
        ticket = self.declare(body, **declaration)
        put = requests.put(ticket["upload"]["url"], data=body, headers=ticket["upload"]["headers"], timeout=10)
        assert put.status_code == 200, put.text
        return ticket

    def wait_final(self, file_id: str, partner: str = "acme", timeout: float = 30.0) -> dict[str, Any]:
        return self.wait_state(file_id, FINAL, partner=partner, timeout=timeout)

    def wait_state(
        self, file_id: str, states: set[str], partner: str = "acme", timeout: float = 30.0
    ) -> dict[str, Any]:
        """The record once its state is one of ``states`` (or as it is when time runs out)."""
        deadline = time.monotonic() + timeout
        while True:
            # As long as API Gateway would wait (29 s): fault runs throttle the function's
            # DynamoDB calls, and its retries back off.
            record = self.api("GET", f"/files/{file_id}", partner, timeout=29).json()
            if record["state"] in states or time.monotonic() > deadline:
                return record  # type: ignore[no-any-return]
            time.sleep(0.1)

    def notify_created(self, key: str) -> None:
        """Send the S3 notification of an object created in the input bucket, as S3 does
        (SQS delivers at least once, so a notification may also come again)."""
        notification = {
            "Records": [
                {
                    "eventVersion": "2.1",
                    "eventSource": "aws:s3",
                    "eventName": "ObjectCreated:Put",
                    "s3": {"bucket": {"name": self.name("InputBucket")}, "object": {"key": key, "size": 1}},
                }
            ]
        }
        self.aws("sqs").send_message(QueueUrl=self.queue_url("UploadEventsQueue"), MessageBody=json.dumps(notification))

    def alerts(self, file_id: str | None = None, seconds: float = 4.0) -> list[dict[str, Any]]:
        """The alerts published within a few seconds (read off the alerts-inbox queue, so
        each is seen once), only those about ``file_id`` when given."""
        sqs = self.aws("sqs")
        url = sqs.get_queue_url(QueueName=f"{self.template.stack_name}-{ALERTS_INBOX}")["QueueUrl"]
        found, deadline = [], time.monotonic() + seconds
        while time.monotonic() < deadline:
            received = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10, WaitTimeSeconds=1)
            for message in received.get("Messages", []):
                body = json.loads(message["Body"])
                sqs.delete_message(QueueUrl=url, ReceiptHandle=message["ReceiptHandle"])
                if file_id is None or body.get("file_id") == file_id:
                    found.append(body)
        return found

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


@contextmanager
def local_stack(
    log: Path, *options: str, log_level: str = "WARNING", partners: tuple[str, ...] = PARTNERS
) -> Iterator[Stack]:
    """``scalper local`` in its own process, its standard error (the logs) written to ``log``.

    ``options`` are more arguments of ``scalper local`` (``--no-throttle``...). The child gets
    none of this shell's AWS variables: the stack sets its own fake ones.
    """
    args = [sys.executable, "-m", "silent_scalper", "local", "--port", "0", "--log-level", log_level, *options]
    for partner in partners:
        args += ["--partner", partner]
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
    env["PYTHONFAULTHANDLER"] = "1"  # SIGABRT then writes every thread's stack to the log
    with log.open("w") as stderr:
        process = subprocess.Popen(args, cwd=ROOT, stdout=subprocess.PIPE, stderr=stderr, text=True, env=env)
        try:
            values = _read_env_lines(process, until="SCALPER_AWS_ENDPOINT", log=log)
            yield Stack(
                endpoint=values["SCALPER_ENDPOINT"],
                s3_endpoint=values["SCALPER_S3_ENDPOINT"],
                aws_endpoint=values["SCALPER_AWS_ENDPOINT"],
                keys={
                    "demo": values["SCALPER_API_KEY"],
                    **{p: values[env_name("SCALPER_API_KEY", p)] for p in partners},
                },
                template=Template(ROOT / "template.yaml", stack_name="scalper-local", region="us-east-1"),
                log=log,
                iam_endpoint=values["SCALPER_IAM_ENDPOINT"],
                iam_keys={
                    p: Keys(
                        values[env_name("SCALPER_AWS_ACCESS_KEY_ID", p)],
                        values[env_name("SCALPER_AWS_SECRET_ACCESS_KEY", p)],
                    )
                    for p in ("demo", *partners)
                },
            )
        finally:
            _stop(process, log)


def _stop(process: subprocess.Popen[str], log: Path) -> None:
    """Stop the stack as Ctrl-C would; if it hangs, fail with every thread's stack."""
    process.terminate()
    # The stack stops its services and servers, then leaves with os._exit (so no final GC
    # either); 60 s is the margin for a 2-core machine loaded by parallel test runs, where
    # every thread winding down waits for a core.
    stop_timeout = 60
    try:
        process.wait(timeout=stop_timeout)
    except subprocess.TimeoutExpired:
        process.send_signal(signal.SIGABRT)
        process.wait(timeout=10)
        raise AssertionError(
            f"the local stack did not stop within {stop_timeout} s (a 2-core machine's margin under load):\n"
            f"{log.read_text()[-20000:]}"
        ) from None


def _read_env_lines(process: subprocess.Popen[str], *, until: str, log: Path) -> dict[str, str]:
    assert process.stdout is not None
    values: dict[str, str] = {}
    for line in process.stdout:
        name, _, value = line.strip().partition("=")
        values[name] = value
        if name == until:
            return values
    raise RuntimeError(f"the local stack did not start:\n{log.read_text()}")
