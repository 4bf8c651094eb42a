"""``scalper upload PATH|DIR|GLOB|- ...``: upload files in parallel and report each one.

Exit codes: 0 every file was accepted (with ``--wait``: processed), 1 any file failed,
was refused, quarantined or not final in time, 2 usage or configuration error, 130
interrupted (Ctrl-C): what finished is printed and journalled, and running the same
command again uploads only the rest.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from typing import Any

from .._client import Client
from .._config import resolve_journal_path
from .._exceptions import ScalperError, WaitTimeoutError
from .._sources import expand_paths
from ..files import DEFAULT_WAIT_TIMEOUT
from ..models import FileRecord, FileState
from ..uploads import DEFAULT_CONCURRENCY, UploadResult, in_path_order
from ._common import (
    EXIT_FAILED,
    EXIT_INTERRUPTED,
    EXIT_OK,
    EXIT_USAGE,
    client_options,
    error_code_and_message,
    error_json,
    positive_int,
    print_error,
    print_json_line,
    print_table,
    record_json,
)
from ._progress import ProgressBar, human_bytes

# Without --wait, a file that was accepted and is still on its way counts as a success.
_ACCEPTED = frozenset({FileState.PENDING_UPLOAD, FileState.PROCESSING, FileState.PROCESSED})
STDIN = "-"
# A reason's message is shown up to this many characters (the API bounds it too).
MAX_REASON_TEXT = 120


def add_parser(
    subparsers: argparse._SubParsersAction[argparse.ArgumentParser],
    parents: list[argparse.ArgumentParser],
) -> None:
    """Register the ``upload`` command."""
    parser = subparsers.add_parser(
        "upload",
        parents=parents,
        help="upload files, directories or standard input",
        description="Upload files in parallel. Exits 0 if every file was accepted (with --wait: processed), "
        "1 if any failed, was refused, quarantined or not final in time, 2 on usage errors, 130 when "
        "interrupted (run the same command again to upload the rest).",
    )
    parser.add_argument(
        "sources",
        nargs="+",
        metavar="PATH",
        help="a file, a directory (its files), a glob pattern, or - for standard input (with --filename)",
    )
    parser.add_argument("-r", "--recursive", action="store_true", help="include files in subdirectories")
    parser.add_argument("--content-type", metavar="T", help="the content type of every file (default: from its name)")
    parser.add_argument("--filename", metavar="NAME", help="the name to record (one file or standard input only)")
    parser.add_argument(
        "--metadata",
        "-m",
        action="append",
        type=_metadata_pair,
        default=[],
        metavar="KEY=VALUE",
        help="metadata kept with every file; repeat for several pairs",
    )
    parser.add_argument(
        "--concurrency",
        type=positive_int,
        default=DEFAULT_CONCURRENCY,
        metavar="N",
        help="files (and parts) in flight at once (default: %(default)s)",
    )
    parser.add_argument("--wait", action="store_true", help="wait until every file is final")
    parser.add_argument(
        "--timeout",
        type=float,
        default=DEFAULT_WAIT_TIMEOUT,
        metavar="S",
        help="seconds to wait for the files with --wait (default: %(default)s)",
    )
    parser.add_argument("--allow-duplicate", action="store_true", help="upload files the API already has")
    journal = parser.add_mutually_exclusive_group()
    journal.add_argument(
        "--journal",
        metavar="PATH",
        help="where finished files and multipart progress are kept (default: $SCALPER_JOURNAL, "
        "else ~/.local/state/silent-scalper/journal.jsonl)",
    )
    journal.add_argument(
        "--no-journal", action="store_true", help="keep no journal (re-runs rely on the API's duplicates)"
    )
    parser.add_argument("--json", action="store_true", help="print one JSON object per file")
    parser.add_argument("-q", "--quiet", action="store_true", help="no progress bar and no summary line")
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    """Upload, optionally wait, print a table (or JSON lines) and a summary."""
    if STDIN in args.sources and (len(args.sources) > 1 or not args.filename):
        return _usage_error("'-' reads standard input: give it alone, with --filename NAME")
    if args.filename and (len(args.sources) > 1 or os.path.isdir(args.sources[0])):
        return _usage_error("--filename names one file: give a single file (or -)")
    journal = None if args.no_journal else resolve_journal_path(args.journal)
    bar = ProgressBar(sys.stderr, enabled=sys.stderr.isatty() and not args.quiet)
    started = time.monotonic()
    with Client(**client_options(args), concurrency=args.concurrency, journal=journal) as client:
        if args.filename:
            results, interrupted = [_upload_one(client, args.sources[0], args)], False
        else:
            results, interrupted = _upload_paths(client, args, bar)
        bar.clear()
        if interrupted:
            return _report_interrupted(args, results, journal)
        try:
            results = _wait(client, results, args.timeout) if args.wait else client.uploads.attach_records(results)
        except KeyboardInterrupt:
            _print_results(args, results)
            print("interrupted while waiting: every file above was uploaded", file=sys.stderr)
            return EXIT_INTERRUPTED
    _print_results(args, results)
    if not args.quiet:
        summary = _summary(results, time.monotonic() - started, waited=args.wait)
        print(summary, file=sys.stderr if args.json else sys.stdout)
    return EXIT_OK if all(_succeeded(result, args.wait) for result in results) else EXIT_FAILED


def _upload_paths(client: Client, args: argparse.Namespace, bar: ProgressBar) -> tuple[list[UploadResult], bool]:
    """Upload every path; on Ctrl-C, return what finished and ``True``. Results are in the order given."""
    paths = expand_paths(args.sources, recursive=args.recursive)
    results: list[UploadResult] = []
    running = client.uploads._start_many(
        paths,
        content_type=args.content_type,
        metadata=dict(args.metadata) or None,
        allow_duplicate=args.allow_duplicate,
        concurrency=None,
        on_progress=bar,
    )
    try:
        for result in running:
            if result.error is not None:
                bar.clear()
                print_error(result.error, subject=result.source)
            results.append(result)
    except KeyboardInterrupt:
        return in_path_order(paths, results), True
    return in_path_order(paths, results), False


def _upload_one(client: Client, source: str, args: argparse.Namespace) -> UploadResult:
    """One file (or standard input) under the name given with --filename."""
    started = time.monotonic()
    try:
        record = client.upload(
            sys.stdin.buffer if source == STDIN else source,
            filename=args.filename,
            content_type=args.content_type,
            metadata=dict(args.metadata) or None,
            allow_duplicate=args.allow_duplicate,
        )
    except ScalperError as err:
        print_error(err, subject=source)
        return UploadResult(source, args.filename, "failed", error=err, duration_s=time.monotonic() - started)
    return UploadResult(
        source,
        args.filename,
        "uploaded",
        file_id=record.file_id,
        state=record.state,
        record=record,
        size=record.size,
        bytes_sent=record.size,
        duration_s=time.monotonic() - started,
    )


def _wait(client: Client, results: list[UploadResult], timeout: float) -> list[UploadResult]:
    """Follow every uploaded file at once; a file not final in time keeps its last record."""
    finals: dict[str, FileRecord] = {}
    ids = [r.file_id for r in results if r.ok and r.file_id]
    try:
        for record in client.wait_many(ids, timeout=timeout):
            finals[record.file_id] = record
    except WaitTimeoutError as err:
        print_error(err)
        finals.update({record.file_id: record for record in err.records})
    except ScalperError as err:
        print_error(err)
    return [r.with_record(finals.get(r.file_id)) if r.file_id else r for r in results]


def _report_interrupted(args: argparse.Namespace, results: list[UploadResult], journal: object) -> int:
    _print_results(args, results)
    where = f" and journalled in {journal}" if journal else ""
    print(
        f"interrupted: {len(results)} file(s) finished{where}; run the same command again to upload the rest",
        file=sys.stderr,
    )
    return EXIT_INTERRUPTED


def _print_results(args: argparse.Namespace, results: list[UploadResult]) -> None:
    if args.json:
        for result in results:
            print_json_line(_result_json(result))
    else:
        print_table(("FILE", "FILE_ID", "STATE", "REASONS"), [_row(r, waited=args.wait) for r in results])


def _succeeded(result: UploadResult, waited: bool) -> bool:
    state = result.state
    if not result.ok or state is None:
        return False
    return state is FileState.PROCESSED if waited else state in _ACCEPTED


def _result_json(result: UploadResult) -> dict[str, Any]:
    payload: dict[str, Any] = {"path": result.source, "outcome": result.outcome}
    if result.record is not None:
        payload |= record_json(result.record)
    else:
        payload |= {"file_id": result.file_id, "state": result.state.value if result.state else None}
    if result.error is not None:
        # Not "error": a record already uses that key for processing faults.
        payload["client_error"] = error_json(result.error)
    return payload


def _row(result: UploadResult, *, waited: bool) -> tuple[str, str, str, str]:
    if result.error is not None:
        return (result.source, result.file_id or "-", "error", error_code_and_message(result.error)[0])
    record = result.record
    state = result.state.value if result.state else "-"
    notes = _reasons(record, detailed=waited) if record is not None else []
    if record is not None and waited and not record.is_final:
        notes.append("not final in time")
    if result.outcome == "duplicate":
        notes.append(f"already uploaded as {result.file_id}")
    elif result.outcome == "skipped":
        notes.append("uploaded by an earlier run")
    return (result.source, result.file_id or "-", state, "; ".join(notes) or "-")


def _reasons(record: FileRecord, *, detailed: bool) -> list[str]:
    reasons = [(reason.code, reason.message) for reason in record.reasons]
    if record.error is not None:
        reasons.append((record.error.code, record.error.message))
    if not detailed:
        return [code for code, _ in reasons]
    return [_bounded(f"{code}: {message}") for code, message in reasons]


def _bounded(text: str) -> str:
    text = " ".join(text.split())  # one line, whatever the message held
    return text if len(text) <= MAX_REASON_TEXT else text[: MAX_REASON_TEXT - 3] + "..."


def _summary(results: list[UploadResult], elapsed: float, *, waited: bool) -> str:
    states = [r.state for r in results if r.ok]
    errors = sum(not r.ok for r in results)
    sent = sum(r.bytes_sent for r in results)
    rate = f"{len(results) / elapsed:.1f} files/s, {human_bytes(sent / elapsed)}/s" if elapsed > 0 else "-"
    if waited:
        counts = ", ".join(
            f"{sum(s is state for s in states)} {state.value}"
            for state in (FileState.PROCESSED, FileState.QUARANTINED, FileState.FAILED)
        )
        pending = sum(s is not None and s not in _FINAL_SHOWN for s in states)
        counts += f", {pending} not final" if pending else ""
    else:
        counts = f"{len(states)} accepted"
    skipped = sum(r.outcome in ("duplicate", "skipped") for r in results)
    return (
        f"{len(results)} files: {counts}, {errors} errors ({skipped} already uploaded); "
        f"{human_bytes(sent)} sent in {elapsed:.1f}s ({rate})"
    )


_FINAL_SHOWN = frozenset({FileState.PROCESSED, FileState.QUARANTINED, FileState.FAILED})


def _usage_error(message: str) -> int:
    print(f"error: usage: {message}", file=sys.stderr)
    return EXIT_USAGE


def _metadata_pair(text: str) -> tuple[str, str]:
    key, sep, value = text.partition("=")
    if not sep or not key:
        raise argparse.ArgumentTypeError(f"expected KEY=VALUE, got {text!r}")
    return key, value
