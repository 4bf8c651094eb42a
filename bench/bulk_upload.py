"""Benchmark: 2,000 files of 16 KiB through ``upload_many``, against what a user would do instead.

Baselines, measured in the same run against the same local stack (its own process):

* naive: a loop of one ``POST /uploads`` and one PUT per file, with a fresh connection for
  each request (``requests.post``/``requests.put``), as a first script would do;
* boto3: ``put_object`` of the same files straight to the stack's S3 endpoint with the
  same number of threads: the floor, with no API round trip at all. That endpoint is the
  stack's verifying S3 edge (``SCALPER_S3_ENDPOINT``), which the SDK's presigned PUTs go
  through too, signed with the stack's own credentials (the handlers').

Also measured: the lag of ``wait_many``, the time from the moment the last file became
final (its ``finished_at``) to ``wait_many`` returning.

Each figure is the median of ``--repeats`` rounds (fresh file contents each round, so the
API's duplicate check never short-cuts a round), with its noise, (max - min) / median.
The naive loop is timed on ``--naive-files`` files (its rate does not depend on the count).
Ends with one JSON line. Usage::

    python bench/bulk_upload.py [--files 2000] [--repeats 3] [--concurrency 8] [--naive-files 200]
"""

from __future__ import annotations

import argparse
import hashlib
import json
import sys
import tempfile
import time
import uuid
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime
from pathlib import Path

import requests

sys.path.insert(0, str(Path(__file__).resolve().parent))
from harness import Stack, local_stack, median_and_noise

from silent_scalper import Client, FileState

SIZE = 16 * 1024
TARGETS = {"vs_naive": 5.0, "vs_boto3": 0.8, "wait_many_lag_s": 0.5}


def write_files(folder: Path, count: int) -> list[Path]:
    """``count`` CSV files of 16 KiB whose contents no earlier round used."""
    folder.mkdir(parents=True, exist_ok=True)
    token = uuid.uuid4().hex
    row = f"{token},ct-chest,north,2026-11-25T09:00:00Z\n"
    header = "scan_id,kind,clinic,taken_at\n"
    paths = []
    for i in range(count):
        body = header + row.replace(",north,", f",north-{i},") * ((SIZE - len(header)) // len(row))
        path = folder / f"scan-{i:05d}.csv"
        path.write_text(body[:SIZE].rsplit("\n", 1)[0] + "\n")
        paths.append(path)
    return paths


def sdk_round(stack: Stack, folder: Path, concurrency: int) -> tuple[float, float]:
    """Files/s of upload_many, and wait_many's lag behind the last file becoming final."""
    with Client(stack.endpoint, stack.api_key, concurrency=concurrency) as client:
        started = time.perf_counter()
        results = client.upload_many(folder, concurrency=concurrency)
        elapsed = time.perf_counter() - started
        failed = [r for r in results if not r.ok]
        if failed:
            raise RuntimeError(f"{len(failed)} uploads failed, first: {failed[0].error}")
        finals = list(client.wait_many([r.file_id for r in results if r.file_id], timeout=900))
        returned = datetime.now().astimezone()
    states = Counter(str(record.state) for record in finals)
    if set(states) != {str(FileState.PROCESSED)}:  # every file written here is valid CSV
        raise RuntimeError(f"the stack did not process every file: {dict(states)}")
    last_final = max(record.finished_at or record.updated_at for record in finals)
    return len(results) / elapsed, (returned - last_final).total_seconds()


def naive_round(stack: Stack, paths: list[Path]) -> tuple[float, list[str], int]:
    """Files/s of one POST and one PUT per file, a new connection for each request.

    A naive loop does not retry: a file whose request fails is counted and skipped.
    """
    ids, failures = [], 0
    started = time.perf_counter()
    for path in paths:
        body = path.read_bytes()
        declaration = {
            "filename": path.name,
            "size": len(body),
            "content_type": "text/csv",
            "sha256": hashlib.sha256(body).hexdigest(),
        }
        try:
            answer = requests.post(
                f"{stack.endpoint}/uploads", json=declaration, headers={"x-api-key": stack.api_key}, timeout=60
            )
            answer.raise_for_status()
            upload = answer.json()["upload"]
            requests.put(upload["url"], data=body, headers=upload["headers"], timeout=60).raise_for_status()
        except requests.RequestException:
            failures += 1
            continue
        ids.append(answer.json()["file_id"])
    return len(paths) / (time.perf_counter() - started), ids, failures


def boto3_round(stack: Stack, paths: list[Path], concurrency: int) -> float:
    """Files/s of put_object straight to S3 with the same number of threads."""
    s3 = stack.s3()
    bucket = "bench-floor"
    s3.create_bucket(Bucket=bucket)
    prefix = uuid.uuid4().hex

    def put(path: Path) -> None:
        s3.put_object(Bucket=bucket, Key=f"{prefix}/{path.name}", Body=path.read_bytes())

    started = time.perf_counter()
    with ThreadPoolExecutor(concurrency) as pool:
        list(pool.map(put, paths))
    return len(paths) / (time.perf_counter() - started)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--files", type=int, default=2000)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--concurrency", type=int, default=8)
    parser.add_argument("--naive-files", type=int, default=200)
    args = parser.parse_args(argv)

    sdk, lags, naive, floor = [], [], [], []
    naive_failures = 0
    with local_stack() as stack, tempfile.TemporaryDirectory() as tmp:
        edge = stack.s3_endpoint
        print(f"the SDK's PUTs and boto3's put_object go through the stack's S3 edge, {edge}", file=sys.stderr)
        for round_number in range(args.repeats):
            folder = Path(tmp) / f"round-{round_number}"
            paths = write_files(folder, args.files)
            floor.append(boto3_round(stack, paths, args.concurrency))
            rate, lag = sdk_round(stack, folder, args.concurrency)
            sdk.append(rate)
            lags.append(lag)
            print(f"round {round_number + 1}: sdk {rate:.1f} files/s, wait_many lag {lag:.3f} s", file=sys.stderr)
            naive_paths = write_files(Path(tmp) / f"naive-{round_number}", args.naive_files)
            naive_rate, naive_ids, failures = naive_round(stack, naive_paths)
            naive.append(naive_rate)
            naive_failures += failures
            with Client(stack.endpoint, stack.api_key) as client:  # let processing drain before the next round
                list(client.wait_many(naive_ids, timeout=900))
            print(
                f"round {round_number + 1}: naive {naive_rate:.1f} files/s ({failures} failed), "
                f"boto3 {floor[-1]:.1f} files/s",
                file=sys.stderr,
            )

    sdk_median, sdk_noise = median_and_noise(sdk)
    naive_median, naive_noise = median_and_noise(naive)
    floor_median, floor_noise = median_and_noise(floor)
    lag_median, lag_noise = median_and_noise(lags)
    result = {
        "files": args.files,
        "file_size": SIZE,
        "concurrency": args.concurrency,
        "repeats": args.repeats,
        "sdk_files_per_s": round(sdk_median, 1),
        "naive_files_per_s": round(naive_median, 1),
        "boto3_files_per_s": round(floor_median, 1),
        "vs_naive": round(sdk_median / naive_median, 2),
        "vs_boto3": round(sdk_median / floor_median, 2),
        "wait_many_lag_s": round(lag_median, 3),
        "naive_failed_files": naive_failures,
        "noise": {
            "sdk": round(sdk_noise, 3),
            "naive": round(naive_noise, 3),
            "boto3": round(floor_noise, 3),
            "wait_many_lag": round(lag_noise, 3),
        },
        "s3": "the local stack's verifying S3 edge, for all three",
        "targets": TARGETS,
    }
    print(
        f"upload_many: {sdk_median:.1f} files/s (noise {sdk_noise:.0%}); "
        f"naive loop {naive_median:.1f} files/s (noise {naive_noise:.0%}) "
        f"(x{result['vs_naive']}, target >= {TARGETS['vs_naive']}); "
        f"boto3 put_object to the S3 edge {floor_median:.1f} files/s (noise {floor_noise:.0%}) "
        f"(x{result['vs_boto3']}, target >= {TARGETS['vs_boto3']}); "
        f"wait_many lag {lag_median:.3f} s (noise {lag_noise:.0%}) (target < {TARGETS['wait_many_lag_s']})"
    )
    print(json.dumps(result))
    return 0


if __name__ == "__main__":
    sys.exit(main())
