"""Serving the dashboard with waitress, on 127.0.0.1 only.

waitress is a production WSGI server in pure Python (no compiler, the same on a clinic's
Windows laptop as on Linux): a bounded pool of threads, which suits the SDK's blocking
calls, and a cap on request bodies. werkzeug's own server is for development only.
"""

from __future__ import annotations

import logging
import threading
from typing import Any

from flask import Flask
from waitress.server import TcpWSGIServer, create_server

LOOPBACK = "127.0.0.1"
THREADS = 8
# waitress refuses bodies above this itself (plain text); Flask refuses above
# MAX_CONTENT_LENGTH first, in JSON, for anything up to here.
_BODY_SLACK = 1024 * 1024


class DashboardServer:
    """The dashboard app bound to 127.0.0.1 (never another address).

    Args:
        app: The Flask app from :func:`create_app`.
        port: The port; 0 picks a free one (see :attr:`port`).

    Raises:
        OSError: The port is in use.
    """

    def __init__(self, app: Flask, port: int = 0) -> None:
        max_body = int(app.config["MAX_CONTENT_LENGTH"]) + _BODY_SLACK
        # Every socket of the server (listener, connections, wake-up pipe), so stop() can close them.
        self._sockets: dict[int, Any] = {}
        server = create_server(
            app,
            map=self._sockets,
            host=LOOPBACK,
            port=port,
            threads=THREADS,
            max_request_body_size=max_body,
            ident="",  # no Server header
        )
        if not isinstance(server, TcpWSGIServer):  # one host and one port make one TCP server
            raise TypeError(f"waitress made a {type(server).__name__}, not one TCP server")
        self._server = server
        self._thread: threading.Thread | None = None

    @property
    def port(self) -> int:
        """The port the server listens on."""
        return int(self._server.getsockname()[1])

    @property
    def url(self) -> str:
        """The address to open in a browser."""
        return f"http://{LOOPBACK}:{self.port}/"

    def run(self) -> None:
        """Serve in this thread until interrupted (Ctrl-C)."""
        self._server.run()

    def start(self) -> None:
        """Serve in a background thread (tests, screenshots); :meth:`stop` ends it."""
        self._thread = threading.Thread(target=self._server.run, name="scalper-dashboard", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        """Close the listening socket and every connection, then the worker threads."""
        # waitress's loop runs until its socket map is empty; closing every channel
        # from here empties it (what WebTest's StopableWSGIServer does).
        logging.getLogger("waitress").setLevel(logging.CRITICAL)
        for channel in list(self._sockets.values()):
            channel.handle_close()
        self._server.task_dispatcher.shutdown()
        if self._thread is not None:
            self._thread.join(timeout=5)
