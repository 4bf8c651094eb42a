"""What the SDK benchmarks share: the local stack in a process of its own, and medians.

Run in the benchmark's own process, the stack (moto, the gateway, the functions) would
share the GIL with the client being measured; in its own process it behaves like a
server on the same machine, as it does for ``scalper local``.
"""

from __future__ import annotations

import multiprocessing
import statistics
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]


@dataclass(frozen=True)
class Stack:
    endpoint: str
    aws_endpoint: str
    api_key: str
    input_bucket: str
    quarantine_bucket: str
    output_bucket: str

    def s3(self) -> Any:
        """A boto3 S3 client for the stack's moto endpoint (fake credentials, as the stack's)."""
        import boto3

        return boto3.client(
            "s3",
            endpoint_url=self.aws_endpoint,
            region_name="us-east-1",
            aws_access_key_id="scalper-local",
            aws_secret_access_key="scalper-local",
        )


def _serve(channel: Connection, partner: str) -> None:
    from scalper_backend.local.stack import LocalStack

    with LocalStack(ROOT / "template.yaml", log_level="ERROR") as stack:
        channel.send(
            Stack(
                endpoint=stack.endpoint,
                aws_endpoint=stack.aws_endpoint,
                api_key=stack.add_partner(partner),
                input_bucket=stack.name_of("InputBucket"),
                quarantine_bucket=stack.name_of("QuarantineBucket"),
                output_bucket=stack.name_of("OutputBucket"),
            )
        )
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
