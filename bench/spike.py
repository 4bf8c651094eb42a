"""A spike through the local stack: 10,000 small files, a quarter bad, as fast as it takes
them, then a reconciliation of everything the pipeline wrote; then a paced run.

1. ``scalper local`` starts in its own process (its start-up time is a figure); a few
   files warm the workers up (Lambda's cold starts), as another partner.
2. The floor: the same AWS calls per file as the pipeline makes, straight to the stack's
   moto with the same number of threads (``_stack.floor_files_per_s``), in this run.
3. The spike: ``Client.upload_many`` uploads every file as fast as the stack takes them,
   ``--threads`` files at once.
4. Reconciliation, from the table, all three buckets, the listing, the alerts inbox and
   the dead-letter queue: every file in exactly one final state, the right one (good
   files processed, bad ones quarantined); its input deleted and its output (processed)
   or quarantine copy (quarantined) present, written exactly once (the buckets are
   versioned: one version per key) by exactly one attempt; the listing holding each file
   exactly once; one ``file.quarantined`` alert per quarantined file and nothing else;
   the dead-letter queue empty.
5. A paced run: ``--paced-rate`` files per second for ``--paced-seconds``, for the
   latency when the stack is not flooded.

Latency is upload to final state from the record: ``finished_at - uploaded_at`` (when S3
stored the upload, and when the processor wrote the outcome; one clock, this machine's).
The peak RSS is the sum over the stack's processes (moto, the gateway's and every
worker), sampled every half second; pages shared between processes count in each. CPU time
per file is every process's (the stack's and this one's) over the floor and over the
spike: the spike's files/s can be no more than the cores' time over the stack's CPU per
file, nor than one core's over moto's.

Ends with one JSON line. Usage::

    python bench/spike.py [--files 10000] [--threads 8] [--workers N] [--paced-rate 50]
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _stack import (
    FINAL,
    RssSampler,
    RunningStack,
    Written,
    alerts,
    drain,
    floor_files_per_s,
    latencies,
    local_stack,
    make_files,
    messages_in_flight,
    percentile,
    wait_until_final,
)

from scalper_backend.records import FileRecord
from silent_scalper import Client


@dataclass
class Uploaded:
    """What the client saw of one file."""

    filename: str
    file_id: str | None = None
    error: str | None = None
    done_at: float = 0.0


@dataclass
class Reconciled:
    files: int
    lost: list[str] = field(default_factory=list)
    duplicates: list[str] = field(default_factory=list)
    problems: Counter[str] = field(default_factory=Counter)


def upload_all(
    stack: RunningStack, partner: str, paths: list[Path], threads: int, rate: float = 0.0, attempts: int = 5
) -> list[Uploaded]:
    """Upload every path: as fast as the stack takes them with ``Client.upload_many``
    (``threads`` files at once); at ``rate`` files per second, with ``threads`` clients each
    calling ``Client.upload``. Each file is tried again (the same bytes and name are the same
    file), up to ``attempts`` times."""
    if not rate:
        return _upload_many(stack, partner, paths, threads, attempts)
    results = [Uploaded(path.name) for path in paths]
    next_index = iter(range(len(paths)))
    lock = threading.Lock()
    started = time.perf_counter()

    def work() -> None:
        with Client(endpoint=stack.endpoint, api_key=stack.api_key(partner)) as client:
            while True:
                with lock:
                    index = next(next_index, None)
                if index is None:
                    return
                if rate:
                    time.sleep(max(0.0, started + index / rate - time.perf_counter()))
                result = results[index]
                for _ in range(attempts):
                    try:
                        result.file_id = client.upload(paths[index]).file_id
                        result.error = None
                        break
                    except Exception as err:  # counted, and tried again
                        result.error = f"{type(err).__name__}: {err}"[:200]
                result.done_at = time.time()

    workers = [threading.Thread(target=work) for _ in range(threads)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    return results


def _upload_many(stack: RunningStack, partner: str, paths: list[Path], threads: int, attempts: int) -> list[Uploaded]:
    results = {path: Uploaded(path.name) for path in paths}
    with Client(endpoint=stack.endpoint, api_key=stack.api_key(partner)) as client:
        left = paths
        for _ in range(attempts):
            for path, result in zip(left, client.upload_many(left, concurrency=threads), strict=True):
                results[path].file_id = result.file_id if result.ok else None
                results[path].error = None if result.ok else f"{type(result.error).__name__}: {result.error}"[:200]
                results[path].done_at = time.time()
            left = [path for path in left if results[path].error]
            if not left:
                break
    return list(results.values())


def reconcile(stack: RunningStack, partner: str, expected: dict[str, bool], found: list[FileRecord]) -> Reconciled:
    """Check everything the pipeline wrote for ``partner`` against ``expected`` (filename ->
    good); see the module docstring."""
    report = Reconciled(files=len(expected))
    written = Written.read(stack, partner, found)
    inputs_left, alerted = written.inputs, written.alerted
    with Client(endpoint=stack.endpoint, api_key=stack.api_key(partner)) as client:
        listed = Counter(record.file_id for record in client.list(limit=100))
    for name, good in expected.items():
        held = written.by_name.get(name, [])
        if len(held) != 1:
            report.lost.append(name)
            report.problems["records_not_one"] += 1
            continue
        record = held[0]
        want = "processed" if good else "quarantined"
        if record.state.value not in FINAL:
            report.lost.append(name)
            report.problems[f"state_{record.state.value}"] += 1
            continue
        if record.state.value != want:
            report.problems[f"{want}_but_{record.state.value}"] += 1
        writes = written.writes(partner, record.file_id)
        if writes == 0 or inputs_left[f"uploads/{partner}/{record.file_id}"]:
            report.lost.append(name)
            report.problems["object_misplaced"] += 1
        if writes > 1 or record.attempts != 1 or alerted[("file.quarantined", record.file_id)] > 1:
            report.duplicates.append(name)
        if record.state.value == "quarantined" and alerted[("file.quarantined", record.file_id)] != 1:
            report.problems["quarantine_alert_missing"] += 1
        if alerted[("file.failed", record.file_id)]:
            report.problems["failed_alert"] += 1
        if listed[record.file_id] != 1:
            report.problems["listing_not_once"] += 1
    ids = {r.file_id for r in found}
    report.problems["listing_extra"] += sum(1 for file_id in listed if file_id not in ids)
    report.problems["inputs_left"] += sum(inputs_left.values()) - sum(
        inputs_left[f"uploads/{partner}/{i}"] for i in ids
    )
    report.problems["dead_letters"] += len(drain(stack, stack.name("UploadEventsDeadLetterQueue")))
    # Every file is final by now: a message still in flight was processed and not deleted.
    time.sleep(5)
    report.problems["messages_left_in_flight"] += messages_in_flight(stack)
    report.problems = Counter({k: v for k, v in report.problems.items() if v})
    return report


def run(args: argparse.Namespace, work: Path) -> dict[str, object]:
    spike = make_files(work / "spike", args.files, prefix="spike")
    paced_count = int(args.paced_rate * args.paced_seconds)
    paced = make_files(work / "paced", paced_count, prefix="paced")
    warm = make_files(work / "warm", 4 * args.threads, prefix="warm")
    floor_bodies = [(work / "spike" / name).read_bytes() for name in list(spike)[: args.floor_files]]
    options = ["--log-level", "WARNING"] + (["--workers", str(args.workers)] if args.workers else [])
    with local_stack(*options, partners=("warm", "spike", "paced"), log=work / "stack.log") as stack:
        print(f"stack started in {stack.startup_s:.2f} s; warming up", file=sys.stderr)
        with RssSampler(stack) as rss:
            upload_all(stack, "warm", sorted((work / "warm").iterdir()), args.threads)
            wait_until_final(stack, "warm", len(warm), timeout=120)
            alerts(stack)  # the warm-up's, out of the way
            print(f"floor: {len(floor_bodies)} files straight to moto", file=sys.stderr)
            cpu_before = stack.cpu_seconds()
            floor = floor_files_per_s(stack, floor_bodies, args.threads)
            floor_cpu = stack.cpu_seconds() - cpu_before
            print(f"spike: {args.files} files through the SDK, {args.threads} threads", file=sys.stderr)
            started, cpu_before = time.time(), stack.cpu_seconds()
            uploaded = upload_all(stack, "spike", [work / "spike" / name for name in spike], args.threads)
            accepted = [u for u in uploaded if u.file_id]
            accepted_s = max(u.done_at for u in uploaded) - started
            found = wait_until_final(stack, "spike", len(accepted), timeout=args.timeout)
            spike_cpu = stack.cpu_seconds() - cpu_before
            finals = [r for r in found if r.finished_at]
            final_s = max(r.finished_at.timestamp() for r in finals) - started if finals else float("nan")
            spike_latency = latencies(found)
            report = reconcile(stack, "spike", spike, found)
            print(f"paced: {paced_count} files at {args.paced_rate:g}/s", file=sys.stderr)
            paced_started = time.time()
            paced_uploads = upload_all(
                stack, "paced", [work / "paced" / n for n in paced], args.threads, rate=args.paced_rate
            )
            paced_accepted_s = max(u.done_at for u in paced_uploads) - paced_started
            paced_found = wait_until_final(stack, "paced", len(paced), timeout=args.timeout)
            paced_report = reconcile(stack, "paced", paced, paced_found)
            paced_latency = latencies(paced_found)
        errors = Counter(u.error.split(":")[0] for u in uploaded + paced_uploads if u.error)
    return {
        "files": args.files,
        "lost": len(report.lost) + len(paced_report.lost) + (args.files - len(accepted)),
        "duplicates": len(report.duplicates) + len(paced_report.duplicates),
        "accepted_per_s": round(len(accepted) / accepted_s, 1),
        "final_per_s": round(len(finals) / final_s, 1),
        "floor_files_per_s": round(floor, 1),
        "vs_floor": round((len(finals) / final_s) / floor, 2),
        "latency_p50_s": round(percentile(spike_latency, 0.50), 3),
        "latency_p95_s": round(percentile(spike_latency, 0.95), 3),
        "latency_p99_s": round(percentile(spike_latency, 0.99), 3),
        "paced_files_per_s": round(len(paced) / paced_accepted_s, 1),
        "paced_latency_p50_s": round(percentile(paced_latency, 0.50), 3),
        "peak_rss_mib": round(rss.peak / 2**20),
        "cpu_ms_per_file": cpu_per_file(floor_cpu, len(floor_bodies), spike_cpu, len(finals)),
        "startup_s": round(stack.startup_s, 2),
        "problems": dict(report.problems + paced_report.problems),
        "upload_errors_retried": dict(errors),
        "workers": args.workers or "default",
        "threads": args.threads,
        "load_avg_1m": round(os.getloadavg()[0], 2),
    }


def cpu_per_file(floor: Counter[str], floor_files: int, spike: Counter[str], spike_files: int) -> dict[str, float]:
    """CPU milliseconds per file, every process of the machine's stack together: the
    floor's (``floor``) and the spike's (``stack``), then the spike's by process. The
    spike's files/s can be no more than the machine's cores' time over ``stack``, nor
    than one core's over ``moto`` (one process serves every AWS call)."""
    per_file = {
        "floor": sum(floor.values()) / floor_files,
        "stack": sum(spike.values()) / max(spike_files, 1),
        **{role: used / max(spike_files, 1) for role, used in spike.most_common()},
    }
    return {name: round(1000 * value, 1) for name, value in per_file.items()}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--files", type=int, default=10_000, help="files in the spike (the issue's figure: 10,000)")
    parser.add_argument("--threads", type=int, default=8, help="client threads, and the floor's")
    parser.add_argument("--workers", type=int, default=0, help="scalper local --workers (default: its own)")
    parser.add_argument("--floor-files", type=int, default=2000, help="files through the floor")
    parser.add_argument("--paced-rate", type=float, default=50.0, help="files per second in the paced run")
    parser.add_argument("--paced-seconds", type=float, default=30.0)
    parser.add_argument("--timeout", type=float, default=1800.0, help="seconds to wait for every file to be final")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="scalper-spike-") as tmp:
        result = run(args, Path(tmp))
    for name, value in result.items():
        print(f"{name:24} {value}")
    print(json.dumps(result))
    return 0 if result["lost"] == 0 and result["duplicates"] == 0 and not result["problems"] else 1


if __name__ == "__main__":
    sys.exit(main())
