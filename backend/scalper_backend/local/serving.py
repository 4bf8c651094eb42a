"""Serving a WSGI app in a background thread: with werkzeug (the gateway and the S3 edge,
which answer malformed requests themselves) or with waitress (moto, which every function's
boto3 calls reach, over connections kept open)."""

from __future__ import annotations

import logging
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


class PooledServer:
    """A waitress server for the subclass's ``wsgi_app``: HTTP/1.1 connections kept open
    between requests and a fixed pool of ``threads`` answering them.

    werkzeug's server closes every connection after its answer (it cannot drain a request
    body it did not read before the next request line), so each boto3 call paid a new
    loopback connection and a new server thread: 4,558 connections for 4,220 requests while
    300 files went through. Requests beyond ``threads`` wait for a free thread, so the pool
    is larger than the long polls (SQS receives waiting up to 20 s) that can be open at once.
    """

    thread_name = "scalper-server"
    threads = 64
    # boto3 keeps up to 10 connections per client, and every worker process has its clients:
    # waitress's default of 100 connections would leave new ones waiting in the backlog.
    connection_limit = 2000

    def __init__(self) -> None:
        self._sockets: dict[int, Any] = {}
        self._server: Any = None
        self._thread: threading.Thread | None = None

    def wsgi_app(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        raise NotImplementedError

    def start(self, host: str, port: int) -> int:
        """Serve in a background thread; returns the port (useful when ``port`` is 0).

        Raises:
            OSError: the port is taken.
        """
        from waitress.server import create_server

        self._server = create_server(
            self.wsgi_app,
            map=self._sockets,
            host=host,
            port=port,
            threads=self.threads,
            connection_limit=self.connection_limit,
            asyncore_use_poll=True,  # select() refuses descriptors above 1024
            max_request_body_size=6 * 2**30,  # S3 takes up to 5 GiB in one PUT
            ident="",  # no Server header
        )
        self._thread = threading.Thread(target=self._server.run, name=self.thread_name, daemon=True)
        self._thread.start()
        return int(self._server.getsockname()[1])

    def stop(self) -> None:
        """Close the listening socket and every connection, then the pool's threads."""
        if self._server is None:
            return
        # waitress's loop runs until its socket map is empty; closing every channel from
        # here empties it (as the SDK's dashboard server does).
        logging.getLogger("waitress").setLevel(logging.CRITICAL)
        for channel in list(self._sockets.values()):
            channel.handle_close()
        self._server.task_dispatcher.shutdown()
        if self._thread is not None:
            self._thread.join(timeout=5)
        self._server = None
