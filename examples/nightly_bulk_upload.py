"""A clinic's nightly job: upload every file of a directory, wait for the verdicts, report.

Safe to re-run after a crash or Ctrl-C: the journal remembers what finished (those files
are not even read again), and the API recognises files it already has (same SHA-256 and
name), so only what is missing is sent.

    set -a; . ./scalper-local.env; set +a      # SCALPER_ENDPOINT and SCALPER_API_KEY
    python examples/nightly_bulk_upload.py examples/data --journal nightly-journal.jsonl

Exits 0 when every file was processed, 1 when any was quarantined or failed.
"""

from __future__ import annotations

import argparse
import logging
import sys
import time

from silent_scalper import Client, FileState, Progress, ScalperError

log = logging.getLogger("nightly")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("directory", help="the export directory to upload")
    parser.add_argument("--journal", default="nightly-journal.jsonl", help="resume journal (default: %(default)s)")
    parser.add_argument("--concurrency", type=int, default=8)
    parser.add_argument("--timeout", type=float, default=600, help="seconds to wait for the verdicts")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(message)s", stream=sys.stderr)

    last_report = 0.0

    def report(progress: Progress) -> None:
        nonlocal last_report
        if time.monotonic() - last_report > 5 or progress.files_done == progress.files_total:
            last_report = time.monotonic()
            log.info(
                "%d/%d files, %.1f files/s, %d failed",
                progress.files_done,
                progress.files_total,
                progress.files_per_s,
                progress.files_failed,
            )

    with Client(journal=args.journal, concurrency=args.concurrency) as client:
        results = client.upload_many(args.directory, recursive=True, metadata={"job": "nightly"}, on_progress=report)
        final = {}
        try:
            for record in client.wait_many([r.file_id for r in results if r.ok and r.file_id], timeout=args.timeout):
                final[record.file_id] = record
        except ScalperError as err:  # a timeout: report what is known, fail the job
            log.error("waiting stopped: %s", err)

    worst = 0
    for result in results:
        record = final.get(result.file_id or "")
        if record is None:
            problem = result.error.message if result.error else "not final in time"
            print(f"FAILED       {result.source}: {problem}")
            worst = 1
            continue
        reasons = "; ".join(f"{r.code}: {r.message}" for r in record.reasons)
        print(f"{record.state.value:<12} {result.source} ({record.file_id}, {result.outcome}) {reasons}".rstrip())
        if record.state is not FileState.PROCESSED:
            worst = 1
    counts = {state: sum(r.state is state for r in final.values()) for state in FileState}
    print(
        f"{len(results)} files: {counts[FileState.PROCESSED]} processed, {counts[FileState.QUARANTINED]} quarantined, "
        f"{sum(not r.ok for r in results)} not uploaded; {sum(r.bytes_sent for r in results)} bytes sent"
    )
    return worst


if __name__ == "__main__":
    sys.exit(main())
