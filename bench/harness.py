"""What the SDK benchmarks share: the local stack in a process of its own, and medians.

Run in the benchmark's own process, the stack (moto, the gateway, the functions) would
share the GIL with the client being measured; in its own process it behaves like a
server on the same machine, as it does for ``scalper local``.
"""

from __future__ import annotations

import multiprocessing
import statistics
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]


@dataclass(frozen=True)
class Stack:
    endpoint: str
    s3_endpoint: str
    api_key: str
    access_key_id: str
    secret_access_key: str
    input_bucket: str
    quarantine_bucket: str
    output_bucket: str

    def s3(self) -> Any:
        """A boto3 S3 client through the stack's verifying S3 edge (``SCALPER_S3_ENDPOINT``).

        That is the S3 partners' uploads reach, checked as S3 checks them; it accepts the
        stack's own credentials (the handlers'), as S3 accepts an IAM user's.
        """
        import boto3

        return boto3.client("s3", endpoint_url=self.s3_endpoint, region_name="us-east-1", **self.credentials())

    def credentials(self) -> dict[str, str]:
        """The stack's credentials as boto3's keyword arguments."""
        return {"aws_access_key_id": self.access_key_id, "aws_secret_access_key": self.secret_access_key}


def _serve(channel: Connection, partner: str) -> None:
    from scalper_backend.local.stack import LOCAL_CREDENTIALS, LocalStack

    # Unthrottled, as `scalper local --no-throttle`: the usage plan's rate would otherwise
    # be what a bulk upload measures.
    with LocalStack(ROOT / "template.yaml", log_level="ERROR", throttle=False) as stack:
        channel.send(
            Stack(
                endpoint=stack.endpoint,
                s3_endpoint=stack.s3_endpoint,
                api_key=stack.add_partner(partner),
                access_key_id=LOCAL_CREDENTIALS.access_key,
                secret_access_key=LOCAL_CREDENTIALS.secret_key,
                input_bucket=stack.name_of("InputBucket"),
                quarantine_bucket=stack.name_of("QuarantineBucket"),
                output_bucket=stack.name_of("OutputBucket"),
            )
        )
        with suppress(EOFError):  # the benchmark ended without a word (killed, or Ctrl-C)
            channel.recv()  # anything, or the pipe closing, stops the stack


@contextmanager
def local_stack(partner: str = "bench") -> Iterator[Stack]:
    """Start the stack in a child process; yield where it listens and a partner's key."""
    context = multiprocessing.get_context("spawn")
    ours, theirs = context.Pipe()
    process = context.Process(target=_serve, args=(theirs, partner), daemon=True)
    process.start()
    try:
        if not ours.poll(120):
            raise RuntimeError("the local stack did not start within 120 s")
        yield ours.recv()
    finally:
        ours.send("stop")
        process.join(60)
        if process.is_alive():
            process.kill()


def median_and_noise(samples: list[float]) -> tuple[float, float]:
    """The median of repeated measurements, and their spread: (max - min) / median."""
    median = statistics.median(samples)
    return median, (max(samples) - min(samples)) / median if median else 0.0
