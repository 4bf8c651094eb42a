"""``scalper admin``: partner onboarding (``partner create|list|disable|rotate-key``),
reprocessing in bulk (``reprocess``) and the dead-letter queue (``dlq redrive``).

Against AWS (``--stack-name``, credentials from the standard AWS chain) or the local stack
(``--local``, at ``SCALPER_AWS_ENDPOINT`` or ``--endpoint``). Standard output carries the
result (``--json`` for scripts); errors go to standard error as ``error: <code>: <message>``.
Exit codes: 0 done, 1 refused (bad name, unknown partner ...), 2 usage or configuration.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from dataclasses import asdict
from datetime import datetime
from pathlib import Path
from typing import TextIO

from ..config import LOCAL_AWS_ENDPOINT_ENV, local_aws_endpoint
from ..errors import ApiError, ConfigurationError, ScalperError
from ..models import FileState
from ..onboarding import NewKey, Partner, create_partner, disable_partner, list_partners, rotate_key
from .operations import redrive_dead_letters, reprocess_many, select
from .target import Operations, Target, aws_operations, aws_target, local_operations, local_target

EXIT_REFUSED = 1
EXIT_USAGE = 2


def build_parser() -> argparse.ArgumentParser:
    where = argparse.ArgumentParser(add_help=False)
    group = where.add_argument_group("where (one of)")
    group.add_argument("--stack-name", help="a deployed stack: names come from its CloudFormation outputs")
    group.add_argument("--region", help="the deployed stack's region (default: the AWS configuration's)")
    group.add_argument(
        "--local", action="store_true", help=f"the local stack, at ${LOCAL_AWS_ENDPOINT_ENV} or --endpoint"
    )
    group.add_argument("--endpoint", help="the local stack's AWS endpoint (what scalper local prints)")
    group.add_argument("--template", type=Path, default=None, help="the local stack's template.yaml")
    where.add_argument("--json", action="store_true", help="print JSON instead of text")

    parser = argparse.ArgumentParser(prog="scalper admin", description="Operators' commands.")
    nouns = parser.add_subparsers(dest="noun", metavar="NOUN", required=True)
    partner = nouns.add_parser("partner", help="onboard and manage partners")
    verbs = partner.add_subparsers(dest="verb", metavar="VERB", required=True)
    create = verbs.add_parser("create", parents=[where], help="create a partner with an API key")
    create.add_argument("name", help="partner id: lowercase letters, digits and '-', up to 40")
    create.add_argument(
        "--iam-principal",
        metavar="ARN",
        help="also let this IAM user or role (no path) call the IAM API as the partner",
    )
    verbs.add_parser("list", parents=[where], help="list partners and their credentials")
    disable = verbs.add_parser("disable", parents=[where], help="refuse a partner from its next request")
    disable.add_argument("name")
    rotate = verbs.add_parser("rotate-key", parents=[where], help="issue a new API key and revoke the old ones")
    rotate.add_argument("name")

    again = nouns.add_parser(
        "reprocess", parents=[where], help="send quarantined or failed files through processing again"
    )
    again.add_argument("--state", required=True, choices=["quarantined", "failed"])
    again.add_argument("--since", type=_moment, help="created at or after (ISO 8601 with offset)")
    again.add_argument("--until", type=_moment, help="created before (ISO 8601 with offset)")
    again.add_argument("--partner", help="only this partner's files (default: every partner)")
    again.add_argument("--dry-run", action="store_true", help="list the files, change nothing")
    dlq = nouns.add_parser("dlq", help="the upload events' dead-letter queue")
    dlq_verbs = dlq.add_subparsers(dest="verb", metavar="VERB", required=True)
    moved = dlq_verbs.add_parser("redrive", parents=[where], help="move its events back to the upload queue")
    moved.add_argument("--max", type=int, default=None, help="move at most this many")
    return parser


def _moment(value: str) -> datetime:
    moment = datetime.fromisoformat(value)
    if moment.tzinfo is None:
        raise argparse.ArgumentTypeError(f"{value!r} needs a UTC offset, such as 2026-11-25T21:37:20Z")
    return moment


def main(argv: Sequence[str] | None = None, *, out: TextIO | None = None) -> int:
    """Run ``scalper admin``; returns the exit code."""
    out = out or sys.stdout
    try:
        args = build_parser().parse_args(argv)
    except SystemExit as exit_:
        return exit_.code if isinstance(exit_.code, int) else EXIT_USAGE
    try:
        if args.noun != "partner":
            return _operate(args, _operations(args), out)
        target = _target(args)
        if args.verb == "create":
            new = create_partner(args.name, keys=target.keys, table=target.table, iam_arn=args.iam_principal)
            _print_key(new, args, out)
        elif args.verb == "list":
            _print_partners(list_partners(target.table), args, out)
        elif args.verb == "disable":
            _print_partners([disable_partner(args.name, keys=target.keys, table=target.table)], args, out)
        else:
            _print_key(rotate_key(args.name, keys=target.keys, table=target.table), args, out)
    except ConfigurationError as err:
        print(f"error: configuration: {err}", file=sys.stderr)
        return EXIT_USAGE
    except ApiError as err:
        print(f"error: {err.code}: {err.message}", file=sys.stderr)
        return EXIT_REFUSED
    except ScalperError as err:
        print(f"error: aws: {err}", file=sys.stderr)
        return EXIT_REFUSED
    return 0


def _target(args: argparse.Namespace) -> Target:
    endpoint = _local_endpoint(args)
    return local_target(endpoint, args.template) if endpoint else aws_target(args.stack_name, args.region)


def _local_endpoint(args: argparse.Namespace) -> str | None:
    """The local stack's endpoint, or ``None`` for a deployed stack (``--stack-name``)."""
    if bool(args.stack_name) == bool(args.local):
        raise ConfigurationError("say where: --stack-name NAME (AWS) or --local (the local stack)")
    if args.stack_name:
        return None
    endpoint = args.endpoint or local_aws_endpoint()
    if not endpoint:
        raise ConfigurationError(f"--local needs --endpoint or ${LOCAL_AWS_ENDPOINT_ENV} (printed by scalper local)")
    return str(endpoint)


def _operations(args: argparse.Namespace) -> Operations:
    endpoint = _local_endpoint(args)
    return local_operations(endpoint, args.template) if endpoint else aws_operations(args.stack_name, args.region)


def _operate(args: argparse.Namespace, ops: Operations, out: TextIO) -> int:
    if args.noun == "dlq":
        done = redrive_dead_letters(ops, limit=args.max)
        if args.json:
            print(json.dumps(asdict(done)), file=out)
        else:
            print(f"moved {done.moved} events back to the upload queue; about {done.left} left", file=out)
        return 0
    records = select(ops, FileState(args.state), partner=args.partner, since=args.since, until=args.until)
    queued = skipped = 0
    for outcome in reprocess_many(ops, records, dry_run=args.dry_run):
        refused = outcome.result.startswith("skipped")
        queued, skipped = queued + (not refused), skipped + refused
        print(json.dumps(asdict(outcome)) if args.json else "  ".join(asdict(outcome).values()), file=out)
    verb = "would queue" if args.dry_run else "queued"
    print(f"{verb} {queued} {args.state} files; skipped {skipped}", file=sys.stderr)
    return 0


def _print_key(new: NewKey, args: argparse.Namespace, out: TextIO) -> None:
    if args.json:
        print(json.dumps(asdict(new)), file=out)
        return
    print(f"partner:    {new.partner_id}", file=out)
    print(f"api_key_id: {new.api_key_id}", file=out)
    print(f"api_key:    {new.api_key}   (shown once: hand it to the partner over a secure channel)", file=out)


def _print_partners(partners: list[Partner], args: argparse.Namespace, out: TextIO) -> None:
    if args.json:
        for partner in partners:
            print(json.dumps(asdict(partner)), file=out)
        return
    for partner in partners:
        state = "enabled" if partner.enabled else "disabled"
        print(f"{partner.partner_id}  {state}  {' '.join(partner.principals)}", file=out)
