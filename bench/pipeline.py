"""Benchmark of the whole pipeline: how much it costs over the floor it cannot beat.

Each figure is a ratio against a baseline measured in this very run on this machine, so
that a slow or noisy machine moves both sides together:

* end to end: declare + PUT + processed through the embedded local stack vs. a bare
  ``put_object`` of the same bytes to the same moto server (the storage floor);
* S3 edge: a large presigned PUT (signed length and SHA-256) through the local stack's
  verifying S3 edge vs. the same PUT straight to moto, which checks nothing.

The processor's own throughput against the standard library's transform is
``bench/processor.py``.

Prints a table and, with ``--json``, the figures as JSON. Usage::

    python bench/pipeline.py [--repeats 5] [--files 20] [--put-mb 256] [--json]
"""

from __future__ import annotations

import argparse
import hashlib
import itertools
import json
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # pragma: no cover - typing only
    from scalper_backend.local.stack import LocalStack


def make_csv(megabytes: int) -> bytes:
    row = b"10001,Ada Lovelace,1815-12-10,F,ct-chest,north,2026-11-25T09:00:00Z\n"
    header = b"patient_id,name,birth_date,sex,scan,clinic,taken_at\n"
    return header + row * (megabytes * 1024 * 1024 // len(row))


def timed(action: Callable[[], object], repeats: int) -> list[float]:
    action()  # warm-up: imports, caches, allocator
    samples = []
    for _ in range(repeats):
        started = time.perf_counter()
        action()
        samples.append(time.perf_counter() - started)
    return samples


def summary(name: str, subject: list[float], baseline: list[float], unit_count: float, unit: str) -> dict[str, object]:
    med_s, med_b = statistics.median(subject), statistics.median(baseline)
    return {
        "case": name,
        "median_s": round(med_s, 4),
        "baseline_median_s": round(med_b, 4),
        "ratio_vs_baseline": round(med_s / med_b, 2),
        f"{unit}_per_s": round(unit_count / med_s, 1),
        "noise_pct": round(100 * (max(subject) - min(subject)) / med_s, 1),
        "baseline_noise_pct": round(100 * (max(baseline) - min(baseline)) / med_b, 1),
    }


def bench_end_to_end(stack: LocalStack, files: int, repeats: int) -> list[dict[str, object]]:
    from silent_scalper import Client

    body = make_csv(1)[: 64 * 1024]
    body = body[: body.rfind(b"\n") + 1]
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "bench.csv"
        path.write_bytes(body)
        s3, bucket = stack.client("s3"), stack.name_of("OutputBucket")
        with Client(endpoint=stack.endpoint, api_key=stack.add_partner("bench")) as client:

            names = itertools.count()

            def pipeline() -> None:
                # A new name each time: the same bytes and name would be one file (a duplicate).
                ids = [client.upload(path, filename=f"bench-{next(names)}.csv").file_id for _ in range(files)]
                for file_id in ids:
                    if client.wait(file_id, timeout=120, interval=0.05).state.value != "processed":
                        raise RuntimeError("benchmark file was not processed")

            def floor() -> None:
                for i in range(files):
                    s3.put_object(Bucket=bucket, Key=f"bench/{i}", Body=body)

            baseline = timed(floor, repeats)
            subject = timed(pipeline, repeats)
    return [summary(f"end to end, {files} x 64 KiB csv", subject, baseline, files, "files")]


def bench_s3_edge(stack: LocalStack, megabytes: int, repeats: int) -> list[dict[str, object]]:
    import base64

    import boto3
    import requests
    from botocore.config import Config

    from scalper_backend.local.stack import LOCAL_CREDENTIALS

    with tempfile.TemporaryDirectory() as tmp:
        path, digest, block = Path(tmp) / "put.bin", hashlib.sha256(), bytes(range(256)) * 4096
        with path.open("wb") as out:  # written a MiB at a time, never held whole
            for _ in range(megabytes):
                out.write(block)
                digest.update(block)
        headers = {
            "Content-Type": "application/octet-stream",
            "Content-Length": str(path.stat().st_size),
            "x-amz-checksum-sha256": base64.b64encode(digest.digest()).decode(),
        }

        def presigned(endpoint: str) -> str:
            s3 = boto3.client(
                "s3",
                endpoint_url=endpoint,
                region_name=stack.template.region,
                aws_access_key_id=LOCAL_CREDENTIALS.access_key,
                aws_secret_access_key=LOCAL_CREDENTIALS.secret_key,
                config=Config(signature_version="s3v4", request_checksum_calculation="when_required"),
            )
            params = {
                "Bucket": stack.name_of("OutputBucket"),  # no event notification: storage only
                "Key": "bench/put.bin",
                "ContentType": headers["Content-Type"],
                "ContentLength": int(headers["Content-Length"]),
                "ChecksumSHA256": headers["x-amz-checksum-sha256"],
            }
            return str(s3.generate_presigned_url("put_object", Params=params, ExpiresIn=3600, HttpMethod="PUT"))

        def put(url: str) -> None:
            with path.open("rb") as body:
                requests.put(url, data=body, headers=headers, timeout=600).raise_for_status()

        through_edge, straight = presigned(stack.s3_endpoint), presigned(stack.aws_endpoint)
        baseline = timed(lambda: put(straight), repeats)
        subject = timed(lambda: put(through_edge), repeats)
    return [summary(f"presigned PUT {megabytes} MiB via S3 edge", subject, baseline, megabytes * 1.048576, "MB")]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--files", type=int, default=20, help="files per end-to-end round")
    parser.add_argument("--put-mb", type=int, default=256, help="MiB in the S3 edge PUT (1024 for the 1 GiB figure)")
    parser.add_argument("--json", action="store_true", help="print the figures as JSON")
    args = parser.parse_args(argv)
    from scalper_backend.local.stack import LocalStack

    # One stack for both cases: moto keeps its state in this process, so a second stack
    # started here would find the first one's tables and fail to provision. Unthrottled:
    # the figures measure the pipeline, not the usage plan's rate limit.
    root = Path(__file__).resolve().parents[1]
    with LocalStack(root / "template.yaml", log_level="ERROR", throttle=False) as stack:
        results = bench_end_to_end(stack, args.files, args.repeats) + bench_s3_edge(stack, args.put_mb, args.repeats)
    if args.json:
        print(json.dumps(results, indent=2))
        return 0
    print(f"{'case':34} {'median s':>9} {'baseline s':>10} {'ratio':>6} {'rate':>14} {'noise':>7}")
    for r in results:
        rate_key = next(k for k in r if k.endswith("_per_s"))
        print(
            f"{r['case']:34} {r['median_s']:>9} {r['baseline_median_s']:>10} {r['ratio_vs_baseline']:>6} "
            f"{str(r[rate_key]) + ' ' + rate_key.split('_')[0] + '/s':>14} {str(r['noise_pct']) + '%':>7}"
        )
    print("ratio = median time / median time of the baseline in this run; noise = (max - min) / median")
    return 0


if __name__ == "__main__":
    sys.exit(main())
