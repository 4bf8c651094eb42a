"""``scalper validate PATH...``: what the processor would say about files, before sending them.

Runs the processor's own validators here. With an endpoint and a key (``--endpoint`` /
``--api-key`` or the environment) the partner's rules come from the API; otherwise, or
with ``--offline``, the built-in defaults apply. Either way the output says which.
Nothing is uploaded.
"""

from __future__ import annotations

import argparse

from .._client import Client
from .._exceptions import ConfigurationError
from .._validate import Validation, validate_file
from ._common import EXIT_FAILED, EXIT_OK, open_client, print_error, print_json_line, print_table


def add_parser(
    subparsers: argparse._SubParsersAction[argparse.ArgumentParser],
    parents: list[argparse.ArgumentParser],
) -> None:
    """Register the ``validate`` command."""
    parser = subparsers.add_parser(
        "validate",
        parents=parents,
        help="check files as the processor would, without sending them",
        description="Check files with the processor's own validators and your rules (from the API when an "
        "endpoint and key are configured, else the defaults). Exits 0 if every file would be processed, "
        "1 if any would be quarantined or refused, 2 on usage errors.",
    )
    parser.add_argument("paths", nargs="+", metavar="PATH", help="files to check")
    parser.add_argument("--content-type", default=None, help="declare every file with this type (default: guessed)")
    parser.add_argument("--offline", action="store_true", help="use the built-in default rules, not the API's")
    parser.add_argument("--json", action="store_true", help="print one JSON object per file")
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    """Judge each path; a file that cannot be read does not stop the others."""
    client = None if args.offline else _client_if_configured(args)
    verdicts: list[Validation] = []
    failed = False
    try:
        for path in args.paths:
            try:
                if client is not None:
                    verdict = client.validate(path, content_type=args.content_type)
                else:
                    verdict = validate_file(path, content_type=args.content_type)
            except OSError as err:
                print_error(err, subject=path)
                failed = True
                continue
            verdicts.append(verdict)
            if args.json:
                print_json_line(verdict.model_dump(mode="json"))
    finally:
        if client is not None:
            client.close()
    if not args.json and verdicts:
        _print_report(verdicts)
    ok = not failed and all(verdict.ok for verdict in verdicts)
    return EXIT_OK if ok else EXIT_FAILED


def _client_if_configured(args: argparse.Namespace) -> Client | None:
    """A client when an endpoint and a key are given; None means the defaults apply."""
    try:
        return open_client(args)
    except ConfigurationError:
        return None


def _print_report(verdicts: list[Validation]) -> None:
    print_table(("FILE", "VERDICT", "REASONS"), map(_row, verdicts))
    first = verdicts[0]
    source = "your rules from the API" if first.rules_source == "api" else "the built-in defaults"
    print(f"rules: {first.rules} ({source})")
    for verdict in verdicts:
        for reason in verdict.reasons:
            print(f"{verdict.path}: {reason.code}: {reason.message}")
        cells = verdict.formula_cells
        if cells is not None and verdict.ok:
            print(
                f"{verdict.path}: note: {cells.count} cell(s) would run as a spreadsheet formula, the first on "
                f"line {cells.first.line} (flagged in the record, not quarantined by your rules)"
            )


def _row(verdict: Validation) -> tuple[str, str, str]:
    codes = ",".join(reason.code for reason in verdict.reasons) or "-"
    return verdict.path, "processed" if verdict.ok else "quarantined", codes
