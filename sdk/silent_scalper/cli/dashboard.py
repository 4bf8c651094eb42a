"""``scalper dashboard``: follow your files in a browser, served on 127.0.0.1.

Needs the extra: ``pip install 'silent-scalper[dashboard]'``. The server talks to the API
with this command's endpoint and credentials; they never reach the browser.
"""

from __future__ import annotations

import argparse
import signal
import sys
import webbrowser
from types import FrameType

from .._client import Client
from .._config import resolve_auth_mode
from .._exceptions import ConfigurationError
from ._common import EXIT_OK, EXIT_USAGE, client_options, positive_int

INSTALL_HINT = "the dashboard needs its extra: pip install 'silent-scalper[dashboard]'"
DEFAULT_PORT = 8090


def add_parser(
    subparsers: argparse._SubParsersAction[argparse.ArgumentParser],
    parents: list[argparse.ArgumentParser],
) -> None:
    """Register the ``dashboard`` command."""
    parser = subparsers.add_parser(
        "dashboard", parents=parents, help="follow your files in a browser (served on 127.0.0.1)"
    )
    parser.add_argument(
        "--port", type=int, default=DEFAULT_PORT, help=f"port on 127.0.0.1 (default {DEFAULT_PORT}; 0 picks one)"
    )
    parser.add_argument("--refresh", type=positive_int, default=10, metavar="SECONDS", help="how often pages update")
    parser.add_argument(
        "--max-upload-mb",
        type=positive_int,
        default=100,
        metavar="MB",
        help="largest file the drop zone takes (default 100)",
    )
    parser.add_argument("--open", action="store_true", help="open the dashboard in the default browser")
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    """Serve the dashboard until Ctrl-C."""
    try:
        from ..dashboard import DashboardServer, DashboardSettings, create_app
    except ImportError as err:
        print(f"error: dashboard_not_installed: {INSTALL_HINT} ({err.name} is missing)", file=sys.stderr)
        return EXIT_USAGE
    # --auth and the rest are every command's connection options (SCALPER_AUTH=iam, then
    # the endpoint is SCALPER_IAM_ENDPOINT); resolved here too, to name it in the page.
    auth_mode = resolve_auth_mode(args.auth)
    with Client(**(client_options(args) | {"auth": auth_mode})) as client:
        settings = DashboardSettings(
            auth_label="IAM (SigV4)" if auth_mode == "iam" else "API key",
            refresh_seconds=args.refresh,
            max_upload_bytes=args.max_upload_mb * 1_000_000,
        )
        try:
            server = DashboardServer(create_app(client, settings), port=args.port)
        except OSError as err:
            raise ConfigurationError(f"cannot listen on 127.0.0.1:{args.port} ({err.strerror}); try --port 0") from err
        # stdout: one NAME=value line, as `scalper local` prints; the rest goes to stderr.
        print(f"SCALPER_DASHBOARD_URL={server.url}", flush=True)
        print(f"Dashboard for {client.endpoint} at {server.url} (Ctrl-C to stop)", file=sys.stderr, flush=True)
        if args.open:
            webbrowser.open(server.url)
        # SIGTERM stops it as Ctrl-C does: waitress ends its threads on SystemExit too.
        signal.signal(signal.SIGTERM, _exit)
        server.run()
    return EXIT_OK


def _exit(signum: int, frame: FrameType | None) -> None:
    raise SystemExit(EXIT_OK)
