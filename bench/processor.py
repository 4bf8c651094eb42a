"""Benchmarks of the processor: validation + transformation against the bare transform.

Every figure is measured in this run, on this machine, next to its baseline:

* throughput: ``inspect_stream`` (every check, and the JSON Lines output) over generated
  CSV, JSON Lines and JSON arrays (compact and pretty-printed), against the transform a
  partner would write with the standard library on the same bytes: ``csv.reader`` or
  ``json.loads``, then ``json.dumps`` of each record, written to the same kind of sink.
  Repeated; medians, and noise as (max - min) / median.
* peak RSS: a fresh interpreter inspects a generated 1 GiB CSV stream (never held in
  memory) and reports its peak resident size (``VmHWM``; ``ru_maxrss`` where there is no
  /proc, which on Linux would carry over the parent's size across exec), and how far it
  rose above its resident size (``VmRSS``) once imported, before inspecting.
* the processor end to end: a fresh interpreter runs the real processor (its boto3
  clients, the streamed multipart output) against a moto server in this process on a
  generated CSV (``--processor-rss-mb``), and reports its peak resident size and how far
  it rose above the baseline it had once imported with its clients built. moto's own
  memory (it holds the objects) is this process's, not the processor's.
* cold import: a fresh interpreter imports each Lambda handler module; the time of the
  import alone, median of several, with its noise.

Ends with one JSON line of the headline figures. Usage::

    python bench/processor.py [--mb 16] [--repeats 5] [--rss-mb 1024] [--processor-rss-mb 256] [--imports 5]
"""

from __future__ import annotations

import argparse
import csv
import hashlib
import io
import json
import os
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

from harness import median_and_noise

from scalper_inspection import Declared, inspect_stream

ROOT = Path(__file__).resolve().parents[1]
HANDLERS = ("presign", "status", "reprocess", "processor", "sweeper")
_ROW = {
    "patient_ref": "p-10001",
    "clinic": "north",
    "scan": "ct-chest",
    "slices": 120,
    "dose_mgy": 12.5,
    "taken_at": "2026-11-25T09:00:00Z",
    "contrast": True,
    "notes": "follow-up in 6 weeks",
}


class NullSink:
    """Counts what is written and keeps nothing, so both sides pay the same for output."""

    def __init__(self) -> None:
        self.size = 0

    def write(self, data: bytes) -> int:
        self.size += len(data)
        return len(data)


_CSV_HEADER = ",".join(_ROW).encode() + b"\n"
_CSV_ROW = b"p-10001,north,ct-chest,120,12.5,2026-11-25T09:00:00Z,true,follow-up in 6 weeks\n"


def make_csv(size: int) -> bytes:
    return _CSV_HEADER + _CSV_ROW * (size // len(_CSV_ROW))


def make_jsonl(size: int) -> bytes:
    line = json.dumps(_ROW).encode() + b"\n"
    return line * (size // len(line))


def make_json_array(size: int, *, pretty: bool) -> bytes:
    item = json.dumps(_ROW, indent=2 if pretty else None).encode()
    count = size // (len(item) + 2)
    return b"[" + b",\n".join([item] * count) + b"]\n"


def bare_csv(data: bytes) -> int:
    sink = NullSink()
    reader = csv.reader(io.StringIO(data.decode("utf-8"), newline=""))
    header = next(reader)
    for row in reader:
        sink.write(json.dumps(dict(zip(header, row, strict=True))).encode() + b"\n")
    return sink.size


def bare_jsonl(data: bytes) -> int:
    sink = NullSink()
    for line in data.splitlines():
        if line.strip():
            sink.write(json.dumps(json.loads(line)).encode() + b"\n")
    return sink.size


def bare_json_array(data: bytes) -> int:
    sink = NullSink()
    for record in json.loads(data):
        sink.write(json.dumps(record).encode() + b"\n")
    return sink.size


def inspected(data: bytes, content_type: str) -> Callable[[], int]:
    declared = Declared(size=len(data), sha256=hashlib.sha256(data).hexdigest(), content_type=content_type)

    def run() -> int:
        sink = NullSink()
        result = inspect_stream(io.BytesIO(data), declared, sink)
        if not result.ok:
            raise RuntimeError(f"benchmark input was quarantined: {result.reasons}")
        return sink.size

    return run


# Wall-clock time by default, as a partner would see it; `--clock cpu` measures the
# process's CPU time instead, which a machine shared with other work disturbs far less.
CLOCKS = {"wall": time.perf_counter, "cpu": time.process_time}
Clock = Callable[[], float]


def timed(action: Callable[[], object], clock: Clock) -> float:
    started = clock()
    action()
    return clock() - started


def throughput(
    name: str, data: bytes, content_type: str, bare: Callable[[bytes], int], repeats: int, clock: Clock
) -> dict:
    # Alternate the two sides round by round, so a burst of load hits both alike.
    subject_times: list[float] = []
    bare_times: list[float] = []
    run = inspected(data, content_type)
    run(), bare(data)  # warm-up: imports, caches, allocator
    for _ in range(repeats):
        subject_times.append(timed(run, clock))
        bare_times.append(timed(lambda: bare(data), clock))
    mb = len(data) / 1e6
    subject, subject_noise = median_and_noise(subject_times)
    baseline, bare_noise = median_and_noise(bare_times)
    return {
        "case": name,
        "mb": round(mb, 1),
        "mb_per_s": round(mb / subject, 1),
        "bare_mb_per_s": round(mb / baseline, 1),
        "vs_bare": round(baseline / subject, 2),
        "noise_pct": round(100 * subject_noise, 1),
        "bare_noise_pct": round(100 * bare_noise, 1),
    }


_RSS_SCRIPT = """
import hashlib, io, json, resource, sys
from scalper_inspection import Declared, inspect_stream
size, header, row = int(sys.argv[1]), sys.argv[2].encode(), sys.argv[3].encode()
rows = (size - len(header)) // len(row)
class Stream:
    def __init__(self):
        self.pending, self.left, self.digest = header, rows, hashlib.sha256(header)
        self.block = row * 8192
    def read(self, n=-1):
        if not self.pending and self.left:
            count = min(self.left, 8192)
            self.left -= count
            self.pending = self.block if count == 8192 else row * count
            self.digest.update(self.pending)
        data, self.pending = self.pending[:n], self.pending[n:]
        return data
class Null:
    def write(self, data):
        return len(data)
def kib(field):
    with open("/proc/self/status") as status:
        return next(int(line.split()[1]) for line in status if line.startswith(field))
total = len(header) + rows * len(row)
probe = Stream()
while probe.read(1 << 20):
    pass
declared = Declared(size=total, sha256=probe.digest.hexdigest(), content_type="text/csv")
stream = Stream()
# The baseline: imports done, nothing inspected yet (where there is no /proc, none).
try:
    before = kib("VmRSS:")
except OSError:
    before = None
result = inspect_stream(stream, declared, Null())
assert result.ok, result.reasons
# Linux carries ru_maxrss across exec, so a child forked from a big parent reports the
# parent's size; VmHWM is the peak of this process's own memory. KiB either way.
try:
    peak = kib("VmHWM:")
except OSError:
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
print(json.dumps({"before_kib": before, "peak_kib": peak}))
"""


def peak_rss_mib(megabytes: int) -> tuple[float, float | None]:
    """Peak RSS of a fresh interpreter inspecting a generated CSV stream of this size, and how
    far it rose above the interpreter's RSS once imported (None where there is no /proc)."""
    out = subprocess.run(
        [sys.executable, "-c", _RSS_SCRIPT, str(megabytes * 1024 * 1024), _CSV_HEADER.decode(), _CSV_ROW.decode()],
        check=True,
        capture_output=True,
        text=True,
    )
    measured = json.loads(out.stdout.strip().splitlines()[-1])
    peak, before = measured["peak_kib"], measured["before_kib"]
    return round(peak / 1024, 1), None if before is None else round((peak - before) / 1024, 1)


def processor_rss(megabytes: int) -> dict[str, float]:
    """The processor end to end on a generated CSV of this size (see the module docstring)."""
    sys.path.insert(0, str(ROOT / "tests"))
    from support.processor_memory import moto_with_template, process_in_a_child

    from scalper_backend.local.template import Template

    template = Template(ROOT / "template.yaml", stack_name="scalper-bench", region="us-east-1")
    with moto_with_template(template):
        measured = process_in_a_child(template, megabytes * 1024 * 1024)
    return {
        "peak_mib": round(measured.peak_mib, 1),
        "growth_mib": round(measured.growth_mib, 1),
        "output_mib": round(measured.output_mib, 1),
    }


def import_ms(handler: str, runs: int) -> tuple[float, float]:
    """Median time to import a handler module in a fresh interpreter (startup excluded), and
    its noise in per cent."""
    code = (
        "import time; t = time.perf_counter(); "
        f"import scalper_backend.handlers.{handler}; print((time.perf_counter() - t) * 1000)"
    )
    env = {**os.environ, "POWERTOOLS_SERVICE_NAME": "scalper"}
    times = [
        float(subprocess.run([sys.executable, "-c", code], check=True, capture_output=True, text=True, env=env).stdout)
        for _ in range(runs)
    ]
    median, spread = median_and_noise(times)
    return round(median, 1), round(100 * spread, 1)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--mb", type=int, default=16, help="size of each generated input")
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--rss-mb", type=int, default=1024, help="size of the CSV stream for peak RSS")
    parser.add_argument(
        "--processor-rss-mb", type=int, default=256, help="size of the CSV the processor runs on end to end"
    )
    parser.add_argument("--imports", type=int, default=5, help="fresh interpreters per handler import")
    parser.add_argument("--clock", choices=sorted(CLOCKS), default="wall", help="wall time (default) or CPU time")
    args = parser.parse_args(argv)
    clock = CLOCKS[args.clock]
    size = args.mb * 1024 * 1024
    cases = [
        ("csv", make_csv(size), "text/csv", bare_csv),
        ("jsonl", make_jsonl(size), "application/x-ndjson", bare_jsonl),
        ("json array, compact", make_json_array(size, pretty=False), "application/json", bare_json_array),
        ("json array, pretty", make_json_array(size, pretty=True), "application/json", bare_json_array),
    ]
    load = os.getloadavg()[0]
    results = [throughput(name, data, ct, bare, args.repeats, clock) for name, data, ct, bare in cases]
    print(f"{'case':22} {'MB':>6} {'MB/s':>8} {'bare MB/s':>10} {'x bare':>7} {'noise':>7} {'bare noise':>11}")
    for r in results:
        print(
            f"{r['case']:22} {r['mb']:>6} {r['mb_per_s']:>8} {r['bare_mb_per_s']:>10} {r['vs_bare']:>7} "
            f"{str(r['noise_pct']) + '%':>7} {str(r['bare_noise_pct']) + '%':>11}"
        )
    rss, rss_growth = peak_rss_mib(args.rss_mb)
    print(f"peak RSS inspecting a {args.rss_mb} MiB CSV stream: {rss} MiB, {rss_growth} MiB above its baseline")
    processor = processor_rss(args.processor_rss_mb)
    print(
        f"the processor on a {args.processor_rss_mb} MiB CSV ({processor['output_mib']} MiB of output streamed to S3): "
        f"peak RSS {processor['peak_mib']} MiB, {processor['growth_mib']} MiB above its baseline"
    )
    timed_imports = {handler: import_ms(handler, args.imports) for handler in HANDLERS}
    imports = {handler: median for handler, (median, _) in timed_imports.items()}
    import_noise = {handler: spread for handler, (_, spread) in timed_imports.items()}
    print("cold import of each handler (ms):", imports, "noise (%):", import_noise)
    print(
        f"clock: {args.clock}; load average (1 min) at the start: {load:.2f} on {os.cpu_count()} CPUs "
        "(figures are noisier under load)"
    )
    by_case = {r["case"]: r for r in results}
    # The JSON array figure is the slower of its two layouts: the target holds for both.
    array = min((by_case["json array, compact"], by_case["json array, pretty"]), key=lambda r: r["vs_bare"])
    print(
        json.dumps(
            {
                "csv_mb_per_s": by_case["csv"]["mb_per_s"],
                "csv_vs_bare": by_case["csv"]["vs_bare"],
                "csv_noise_pct": by_case["csv"]["noise_pct"],
                "csv_bare_noise_pct": by_case["csv"]["bare_noise_pct"],
                "jsonl_mb_per_s": by_case["jsonl"]["mb_per_s"],
                "jsonl_vs_bare": by_case["jsonl"]["vs_bare"],
                "jsonl_noise_pct": by_case["jsonl"]["noise_pct"],
                "jsonl_bare_noise_pct": by_case["jsonl"]["bare_noise_pct"],
                "json_mb_per_s": array["mb_per_s"],
                "json_vs_bare": array["vs_bare"],
                "json_noise_pct": array["noise_pct"],
                "json_bare_noise_pct": array["bare_noise_pct"],
                "peak_rss_mib_1gib_csv": rss if args.rss_mb == 1024 else None,
                "peak_rss_growth_mib_1gib_csv": rss_growth if args.rss_mb == 1024 else None,
                "processor_peak_rss_mib": processor["peak_mib"],
                "processor_rss_growth_mib": processor["growth_mib"],
                "processor_rss_input_mib": args.processor_rss_mb,
                "import_ms": imports,
                "import_noise_pct": import_noise,
            }
        )
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
