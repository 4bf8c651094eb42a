"""moto in a process of its own: the local stack's AWS.

moto in server mode is a threaded werkzeug app in whatever process starts it. Here it gets
a process (and so an interpreter lock) of its own, so that the gateways, the S3 edge and
the pollers do not queue behind it. ``MotoService`` starts ``python -m
scalper_backend.local.moto_service`` and reads the port it prints; the process serves
``moto_server.MotoServer`` (moto with the changes listed there) until its parent ends.

It also answers the gateways' questions to the credential store under ``/_scalper/``
(``credential_store.py``): the state of an API key, the secret of an access key.
"""

from __future__ import annotations

import argparse
import logging
import os
import subprocess
import sys
from collections.abc import Callable, Iterable
from contextlib import suppress
from typing import TYPE_CHECKING, Any

from .processes import wait_or_kill

if TYPE_CHECKING:
    from .serving import PooledServer

# Every server of the local stack listens on loopback only.
LOOPBACK = "127.0.0.1"
DEFAULT_REGION = "us-east-1"


class MotoService:
    """The moto process: ``launch()`` starts it (it loads moto meanwhile), ``start()``
    waits until it serves and returns its endpoint, ``stop()`` ends it. This module
    imports nothing heavy, so that the CLI can launch it before its own imports."""

    def __init__(self, host: str, region: str) -> None:
        self._host = host
        self._region = region
        self._process: subprocess.Popen[str] | None = None
        self._endpoint = ""

    @property
    def pid(self) -> int | None:
        return self._process.pid if self._process else None

    def launch(self) -> MotoService:
        """Start the process, without waiting for it."""
        if self._process is None:
            # Its standard input stays open while this process lives: when it reads the
            # end of it (we stopped, or died without stopping it), it exits.
            self._process = subprocess.Popen(  # noqa: S603 - our own module, no shell
                [sys.executable, "-m", __name__, "--host", self._host, "--region", self._region],
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                text=True,
            )
        return self

    def start(self) -> str:
        """Launch the process if need be and wait until it serves; returns ``http://host:port``.

        Raises:
            OSError: the process exited before serving.
        """
        self.launch()
        assert self._process is not None and self._process.stdout is not None
        if not self._endpoint:
            line = self._process.stdout.readline()
            if not line.startswith("PORT="):
                self.stop()
                raise OSError("moto did not start (its errors are above)")
            self._endpoint = f"http://{self._host}:{int(line.removeprefix('PORT='))}"
        return self._endpoint

    def stop(self) -> None:
        if self._process is None:
            return
        if self._process.stdin:
            self._process.stdin.close()
        self._process.terminate()
        wait_or_kill(self._process, timeout=10)
        if self._process.stdout:
            self._process.stdout.close()
        self._process = None
        self._endpoint = ""


# -- the process


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m scalper_backend.local.moto_service")
    parser.add_argument("--host", default=LOOPBACK)
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--region", default=DEFAULT_REGION, help="the region of the API keys the gateway checks")
    args = parser.parse_args(argv)
    logging.getLogger("werkzeug").setLevel(logging.WARNING)  # no line per request
    port = _service(args.region).start(args.host, args.port)
    print(f"PORT={port}", flush=True)
    # Serve until standard input ends: the stack that started us has stopped or died.
    with suppress(KeyboardInterrupt):
        while sys.stdin.read(4096):
            pass
    os._exit(0)


def _service(region: str) -> PooledServer:
    """The moto server, answering the credential store's questions too (imported here:
    the stack imports this module for ``MotoService`` before it needs moto)."""
    from . import credential_store
    from .moto_server import MotoServer

    class Service(MotoServer):
        thread_name = "moto-service"

        def wsgi_app(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
            if environ.get("PATH_INFO", "").startswith(credential_store.PREFIX):
                return credential_store.serve(environ, start_response, region)
            return super().wsgi_app(environ, start_response)

    return Service()


if __name__ == "__main__":
    sys.exit(main())
