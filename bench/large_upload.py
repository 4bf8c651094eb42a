"""Benchmark: one 1 GiB file, SDK multipart against boto3's ``upload_file`` (s3transfer).

Both send to the same local stack (in its own process): the SDK through the API
(declare with per-part checksums, parallel part PUTs to presigned URLs, complete),
s3transfer straight to the stack's S3 endpoint with its defaults (8 MiB parts, 10
threads), which is what a user would pick instead. Both reach S3 through the stack's
verifying S3 edge (``SCALPER_S3_ENDPOINT``), the S3 partners' traffic goes through, which
checks every signature and checksum as S3 does; s3transfer signs with the stack's own
credentials (the handlers'). Each side runs in a child process of
its own, which reports its time and its peak resident memory (``ru_maxrss``), so the
figures are the uploader's alone.

Each figure is the median of ``--repeats`` rounds, with its noise, (max - min) / median;
objects are deleted between rounds. Ends with one JSON line. Usage::

    python bench/large_upload.py [--mib 1024] [--repeats 3] [--concurrency 8]
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
from harness import Stack, local_stack, median_and_noise

MIB = 1024 * 1024
TARGETS = {"vs_s3transfer": 0.9, "sdk_peak_rss_mib": 150}


def make_file(path: Path, mib: int) -> None:
    """Random bytes: the processor then quarantines the file at once (type_mismatch)."""
    block = os.urandom(MIB)
    with path.open("wb") as out:
        for _ in range(mib):
            out.write(block)


def child_sdk(endpoint: str, api_key: str, path: str, concurrency: int) -> dict[str, object]:
    from silent_scalper import Client

    started = time.perf_counter()
    with Client(endpoint, api_key, concurrency=concurrency) as client:
        record = client.upload(path, content_type="text/csv", allow_duplicate=True)
    elapsed = time.perf_counter() - started
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return {"seconds": elapsed, "peak_rss_kib": peak, "file_id": record.file_id}


def child_s3transfer(s3_endpoint: str, bucket: str, path: str) -> dict[str, object]:
    import boto3

    # Credentials from the environment (run_child's), as a user's boto3 finds them.
    s3 = boto3.client("s3", endpoint_url=s3_endpoint, region_name="us-east-1")
    started = time.perf_counter()
    s3.upload_file(path, bucket, f"bench/{uuid.uuid4().hex}")
    elapsed = time.perf_counter() - started
    return {"seconds": elapsed, "peak_rss_kib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss}


def run_child(*args: str, env: dict[str, str] | None = None) -> dict[str, Any]:
    command = [sys.executable, __file__, "--child", *args]
    done = subprocess.run(command, capture_output=True, text=True, check=False, env={**os.environ, **(env or {})})
    if done.returncode != 0:
        raise RuntimeError(done.stderr[-2000:])
    return json.loads(done.stdout.splitlines()[-1])  # type: ignore[no-any-return]


def wait_final(stack: Stack, file_id: str) -> None:
    from silent_scalper import Client

    with Client(stack.endpoint, stack.api_key) as client:
        client.wait(file_id, timeout=900, interval=0.5)


def empty(stack: Stack, *buckets: str) -> None:
    s3 = stack.s3()
    for bucket in buckets:
        for page in s3.get_paginator("list_objects_v2").paginate(Bucket=bucket):
            for item in page.get("Contents", []):
                s3.delete_object(Bucket=bucket, Key=item["Key"])


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--mib", type=int, default=1024)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--concurrency", type=int, default=8)
    parser.add_argument("--child", nargs="+", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        kind, *rest = args.child
        result = child_sdk(rest[0], rest[1], rest[2], int(rest[3])) if kind == "sdk" else child_s3transfer(*rest)
        print(json.dumps(result))
        return 0

    sdk, floor, rss, floor_rss = [], [], [], []
    with local_stack() as stack, tempfile.TemporaryDirectory() as tmp:
        print(f"both uploaders reach S3 through the stack's verifying S3 edge, {stack.s3_endpoint}", file=sys.stderr)
        path = Path(tmp) / "study.csv"
        make_file(path, args.mib)
        floor_bucket = "bench-floor"
        stack.s3().create_bucket(Bucket=floor_bucket)
        for round_number in range(args.repeats):
            credentials = {"AWS_ACCESS_KEY_ID": stack.access_key_id, "AWS_SECRET_ACCESS_KEY": stack.secret_access_key}
            theirs = run_child("s3transfer", stack.s3_endpoint, floor_bucket, str(path), env=credentials)
            floor.append(args.mib / theirs["seconds"])
            floor_rss.append(theirs["peak_rss_kib"] / 1024)
            empty(stack, floor_bucket)
            ours = run_child("sdk", stack.endpoint, stack.api_key, str(path), str(args.concurrency))
            sdk.append(args.mib / ours["seconds"])
            rss.append(ours["peak_rss_kib"] / 1024)
            wait_final(stack, str(ours["file_id"]))  # the processor is done before the next round
            empty(stack, stack.input_bucket, stack.quarantine_bucket, stack.output_bucket)
            print(
                f"round {round_number + 1}: sdk {sdk[-1]:.1f} MiB/s (peak RSS {rss[-1]:.0f} MiB), "
                f"s3transfer {floor[-1]:.1f} MiB/s (peak RSS {floor_rss[-1]:.0f} MiB)",
                file=sys.stderr,
            )

    sdk_median, sdk_noise = median_and_noise(sdk)
    floor_median, floor_noise = median_and_noise(floor)
    result = {
        "mib": args.mib,
        "concurrency": args.concurrency,
        "repeats": args.repeats,
        "sdk_mb_per_s": round(sdk_median * MIB / 1e6, 1),
        "s3transfer_mb_per_s": round(floor_median * MIB / 1e6, 1),
        "vs_s3transfer": round(sdk_median / floor_median, 2),
        "sdk_peak_rss_mib": round(max(rss), 1),
        "s3transfer_peak_rss_mib": round(max(floor_rss), 1),
        "noise": {"sdk": round(sdk_noise, 3), "s3transfer": round(floor_noise, 3)},
        "s3": "the local stack's verifying S3 edge, for both",
        "targets": TARGETS,
    }
    print(
        f"SDK multipart {result['sdk_mb_per_s']} MB/s (noise {sdk_noise:.0%}), s3transfer to the S3 edge "
        f"{result['s3transfer_mb_per_s']} MB/s (noise {floor_noise:.0%}): x{result['vs_s3transfer']} "
        f"(target >= {TARGETS['vs_s3transfer']}); SDK peak RSS {result['sdk_peak_rss_mib']} MiB "
        f"(target < {TARGETS['sdk_peak_rss_mib']}), s3transfer peak RSS {result['s3transfer_peak_rss_mib']} MiB"
    )
    print(json.dumps(result))
    return 0


if __name__ == "__main__":
    sys.exit(main())
