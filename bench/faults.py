"""Each injected fault against a burst of files, then a reconciliation: one JSON line per fault.

For each fault, ``scalper local --fault NAME=SHARE`` starts with a short visibility
timeout (``--visibility-timeout``, so that retries come within seconds), ``--files``
small files (a quarter bad) go in through the SDK (each tried again if a fault refused
it), and once the upload queue is empty the run reads the table, the three buckets, the
alerts inbox and the dead-letter queue:

* ``lost``: files not in the one state they should be in: final (processed or
  quarantined, as their bytes call for, the input deleted, the output or quarantine copy
  present) or, for exactly the files ``raise-always`` picked, ``failed`` with their
  message in the dead-letter queue;
* ``duplicates``: outputs or quarantine copies written more than once (the buckets are
  versioned), or a second quarantine alert for a file;
* ``wrong_alerts``: files whose ``file.failed`` alerts are not one per attempt the fault
  failed (``raise``: at most one for each file it picked, which took a second attempt,
  none for the others; ``raise-always``: one per receive, five);
* ``dead_letters_unexpected``: messages in the dead-letter queue of files no fault doomed.

Which files ``raise`` and ``raise-always`` pick is decided by a hash of the file id
(``Faults.hits``), so the run knows exactly which should fail. ``injected`` counts the
faults the stack logged. Usage::

    python bench/faults.py [--files 200] [--only raise,kill]
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path
from urllib.parse import unquote_plus

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _stack import (
    FINAL,
    RunningStack,
    Written,
    drain,
    local_stack,
    make_files,
    records,
    wait_until_final,
)
from spike import upload_all

from scalper_backend.local.faults import FAULT_FIELDS, Faults
from scalper_backend.records import FileRecord

# name -> (share, visibility timeout, more options of ``scalper local``). The time-bound
# faults get a longer visibility timeout: the processor's timeout (twice it) must leave
# room for the SDKs' backed-off retries.
RUNS: dict[str, tuple[float, int, list[str]]] = {
    "raise": (0.2, 2, []),
    # Every receive must be an attempt: 3 s outlasts one on a loaded machine (with 1 s a
    # message came back mid-attempt, and that delivery, refused as busy, used up a receive).
    "raise-always": (0.05, 3, []),
    "hang": (0.1, 2, []),
    "kill": (0.3, 2, []),
    "s3-slowdown": (0.3, 5, ["--fault-window", "20"]),
    "dynamodb-throttle": (0.3, 5, ["--fault-window", "20"]),
}
PARTNER = "bench"
MAX_RECEIVES = 5  # the template's MaxReceiveCount


def run_fault(name: str, work: Path, files: int, threads: int) -> dict[str, object]:
    share, visibility, options = RUNS[name]
    expected = make_files(work / name, files, prefix=name)
    log = work / f"{name}.log"
    args = ["--log-level", "WARNING", "--fault", f"{name}={share}", "--visibility-timeout", str(visibility), *options]
    with local_stack(*args, partners=(PARTNER,), log=log) as stack:
        started = time.perf_counter()
        uploaded = upload_all(stack, PARTNER, [work / name / n for n in expected], threads, attempts=30)
        accepted = [u.file_id for u in uploaded if u.file_id]
        faults = Faults(**{FAULT_FIELDS[name]: share})
        doomed = {i for i in accepted if name == "raise-always" and faults.hits("raise_always", i)}
        found = wait_until_final(stack, PARTNER, len(accepted) - len(doomed), timeout=900)
        dead = _dead_letters(stack, len(doomed), timeout=120)
        found = records(stack, PARTNER)  # the doomed files' last attempt is recorded after their final receive
        seconds = time.perf_counter() - started
        result = _reconcile(stack, name, faults, expected, found, doomed, dead)
    injected = sum(1 for line in log.read_text().splitlines() if '"injected fault"' in line)
    return {
        "fault": name,
        "share": share,
        "files": files,
        "accepted": len(accepted),
        **result,
        "injected": injected,
        "seconds": round(seconds, 1),
    }


def _dead_letters(stack: RunningStack, expected: int, timeout: float) -> Counter[str]:
    """The file ids of the messages in the dead-letter queue, once ``expected`` are there
    (a message moves there when it is received after its last allowed receive)."""
    dead = Counter[str]()
    deadline = time.monotonic() + timeout
    while True:
        for message in drain(stack, stack.name("UploadEventsDeadLetterQueue")):
            for record in json.loads(message["Body"]).get("Records", []):
                dead[unquote_plus(record["s3"]["object"]["key"]).rsplit("/", 1)[1]] += 1
        if sum(dead.values()) >= expected or time.monotonic() > deadline:
            return dead
        time.sleep(1)


def _reconcile(
    stack: RunningStack,
    name: str,
    faults: Faults,
    expected: dict[str, bool],
    found: list[FileRecord],
    doomed: set[str],
    dead: Counter[str],
) -> dict[str, object]:
    written = Written.read(stack, PARTNER, found)
    alerted = written.alerted
    lost, duplicates, wrong_alerts = 0, 0, 0
    for filename, good in expected.items():
        held = written.by_name.get(filename, [])
        if len(held) != 1:
            lost += 1
            continue
        record = held[0]
        file_id, failures = record.file_id, alerted[("file.failed", record.file_id)]
        if file_id in doomed:
            lost += record.state.value != "failed" or dead[file_id] != 1
            wrong_alerts += failures != MAX_RECEIVES
            continue
        want = "processed" if good else "quarantined"
        writes = written.writes(PARTNER, file_id)
        lost += record.state.value != want or writes == 0 or written.inputs[f"uploads/{PARTNER}/{file_id}"] > 0
        duplicates += writes > 1 or alerted[("file.quarantined", file_id)] > 1
        # A picked file's first delivery raised (one alert, then a second attempt), or it
        # raised nothing: it ran out of time before it read the file (no alert, a second
        # attempt) or its batch left it for a retry before claiming it (time budget: no
        # attempt at all). So at most one alert, and only ever with a later attempt.
        picked = faults.hits("raise_first", file_id)
        if name == "raise" and ((failures > 1 or failures > record.attempts - 1) if picked else failures > 0):
            wrong_alerts += 1
            print(f"{file_id}: {failures} file.failed alerts, {record.attempts} attempts", file=sys.stderr)
    return {
        "final": sum(1 for r in found if r.state.value in FINAL),
        "lost": lost,
        "duplicates": duplicates,
        "failed_as_intended": len(doomed),
        "dead_letters": sum(dead.values()),
        "dead_letters_unexpected": sum(n for file_id, n in dead.items() if file_id not in doomed),
        "wrong_alerts": wrong_alerts,
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--files", type=int, default=200, help="files in each fault's burst")
    parser.add_argument("--threads", type=int, default=8, help="client threads")
    parser.add_argument("--only", default=",".join(RUNS), help="comma-separated faults to run")
    args = parser.parse_args(argv)
    clean = True
    with tempfile.TemporaryDirectory(prefix="scalper-faults-") as tmp:
        for name in args.only.split(","):
            result = run_fault(name, Path(tmp), args.files, args.threads)
            print(json.dumps(result), flush=True)
            clean &= not (result["lost"] or result["duplicates"] or result["wrong_alerts"])
            clean &= not result["dead_letters_unexpected"]
    return 0 if clean else 1


if __name__ == "__main__":
    sys.exit(main())
