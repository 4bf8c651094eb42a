"""Serving a WSGI app with werkzeug in a background thread: the gateway and the S3 edge."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable
from typing import Any

from werkzeug.serving import BaseWSGIServer, WSGIRequestHandler, make_server


class BackgroundServer:
    """A threaded werkzeug server for the subclass's ``wsgi_app``, started and stopped explicitly."""

    thread_name = "scalper-server"
    _server: BaseWSGIServer | None = None

    def wsgi_app(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        raise NotImplementedError

    def request_handler(self) -> type[WSGIRequestHandler] | None:
        """The handler class for each connection (``None``: werkzeug's own)."""
        return None

    def start(self, host: str, port: int) -> int:
        """Serve in a background thread; returns the port (useful when ``port`` is 0).

        Raises:
            OSError: the port is taken.
        """
        try:
            self._server = make_server(
                host, port, self.wsgi_app, threaded=True, request_handler=self.request_handler()
            )
        except SystemExit:  # werkzeug prints its own hint and exits when the port is taken
            raise OSError(f"port {port} on {host} is in use; choose another with --port") from None
        threading.Thread(target=self._server.serve_forever, name=self.thread_name, daemon=True).start()
        return int(self._server.server_port)

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
