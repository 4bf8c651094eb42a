"""Invoking a handler the way Lambda does: each concurrent invocation in an execution
environment of its own, a worker process (``worker.py``).

A function keeps a pool of workers, as Lambda keeps warm execution environments: an
invocation takes an idle worker, or starts one (the cold start) while the function runs
fewer than its concurrency, or waits for one to come free. Each worker runs one event at a
time, in its own interpreter, so two invocations never share a handler's module state
(Powertools' resolver keeps the current event on its class) or an interpreter lock.

As on Lambda, an invocation that runs past the function's timeout is stopped by killing
its worker, and a worker that dies (killed, out of memory) is simply replaced by the next
invocation that needs one; the caller gets ``FunctionTimedOut`` or ``WorkerDied``.
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field
from multiprocessing.connection import Connection
from typing import Any

from aws_lambda_powertools import Logger

from ..errors import FunctionTimedOut, InvocationFailed, WorkerDied
from .context import LocalContext
from .processes import wait_or_kill
from .template import ACCOUNT_ID, Template

__all__ = ["FunctionConfig", "LocalContext", "LocalFunction", "Worker", "worker_environment"]

logger = Logger(service="scalper-local")

# A cold start imports boto3, Powertools and pydantic; on a busy laptop that can take a
# while. (Lambda allows its init phase 10 s and then retries it inside the invocation.)
INIT_TIMEOUT_SECONDS = 60.0


@dataclass(frozen=True)
class FunctionConfig:
    """What a worker needs to be one of the template's functions."""

    logical_id: str
    name: str
    handler: str
    arn: str
    timeout: float
    memory_mb: int
    environment: Mapping[str, str] = field(default_factory=dict)

    @classmethod
    def of(
        cls, template: Template, logical_id: str, environment: Mapping[str, str], *, timeout: float | None = None
    ) -> FunctionConfig:
        """The function ``logical_id`` of the template, its workers getting ``environment``
        plus the variables Lambda reserves. ``timeout`` overrides the template's."""
        name = f"{template.stack_name}-{logical_id}"
        memory = template.function_memory(logical_id)
        reserved = {
            "_HANDLER": template.function_handler(logical_id),
            "AWS_LAMBDA_FUNCTION_NAME": name,
            "AWS_LAMBDA_FUNCTION_VERSION": "$LATEST",
            "AWS_LAMBDA_FUNCTION_MEMORY_SIZE": str(memory),
            "AWS_LAMBDA_LOG_GROUP_NAME": f"/aws/lambda/{name}",
        }
        return cls(
            logical_id=logical_id,
            name=name,
            handler=template.function_handler(logical_id),
            arn=f"arn:aws:lambda:{template.region}:{ACCOUNT_ID}:function:{name}",
            timeout=float(timeout if timeout is not None else template.function_timeout(logical_id)),
            memory_mb=memory,
            environment={**environment, **reserved},
        )


class Worker:
    """One execution environment: a ``worker.py`` process and the socket to it."""

    def __init__(self, config: FunctionConfig, faults: str = "") -> None:
        ours, theirs = socket.socketpair()
        function = {"name": config.name, "arn": config.arn, "memory_mb": config.memory_mb}
        args = [sys.executable, "-m", "scalper_backend.local.worker", "--fd", str(theirs.fileno())]
        args += ["--handler", config.handler, "--function", json.dumps(function)]
        if faults:
            args += ["--faults", faults]
        try:
            # Its standard output is our standard error: the handlers' logs go where the
            # stack's go, and `scalper local`'s standard output keeps only its NAME=value lines.
            self.process = subprocess.Popen(  # noqa: S603 - our own module, no shell
                args, pass_fds=(theirs.fileno(),), env=dict(config.environment), stdin=subprocess.DEVNULL, stdout=2
            )
        finally:
            theirs.close()
        self._connection = Connection(ours.detach())
        self._config = config

    @property
    def pid(self) -> int:
        return self.process.pid

    def wait_ready(self) -> None:
        """Wait for the handler to be imported (the cold start).

        Raises:
            InvocationFailed: the import failed or took too long.
        """
        reply = self._receive(time.monotonic() + INIT_TIMEOUT_SECONDS, FunctionTimedOut)
        if not reply.get("ready"):
            self.kill()
            error = reply.get("error", {})
            raise InvocationFailed(f"{self._config.logical_id} failed to start: {error.get('type')}")

    def invoke(self, event: dict[str, Any]) -> Any:
        """Run one event; returns what the handler returned.

        Raises:
            InvocationFailed: the handler raised.
            FunctionTimedOut: it ran past the function's timeout (the worker is killed).
            WorkerDied: the worker died first.
        """
        request = {"event": event, "request_id": str(uuid.uuid4()), "deadline": time.time() + self._config.timeout}
        try:
            self._connection.send_bytes(json.dumps(request).encode())
        except OSError:
            self.kill()
            raise WorkerDied(f"{self._config.logical_id}: worker {self.pid} was gone") from None
        reply = self._receive(time.monotonic() + self._config.timeout, FunctionTimedOut)
        if "error" in reply:
            raise InvocationFailed(f"{reply['error']['type']}: {reply['error']['message']}")
        return reply["result"]

    def alive(self) -> bool:
        return self.process.poll() is None

    def kill(self) -> None:
        if self.alive():
            self.process.kill()
        self.process.wait()
        self._connection.close()

    def close(self) -> None:
        """Let the worker finish (it exits when the socket closes), then make sure it did."""
        self._connection.close()
        wait_or_kill(self.process, timeout=5)

    def _receive(self, deadline: float, timeout_error: type[InvocationFailed]) -> dict[str, Any]:
        try:
            answered = self._connection.poll(max(0.0, deadline - time.monotonic()))
            frame = self._connection.recv_bytes() if answered else None
        except (EOFError, OSError):
            frame = None
            answered = True
        if frame is None:
            self.kill()
            if not answered:
                raise timeout_error(f"{self._config.logical_id} timed out after {self._config.timeout:g} s")
            raise WorkerDied(f"{self._config.logical_id}: worker {self.pid} died ({self.process.returncode})")
        reply: dict[str, Any] = json.loads(frame)
        return reply


class LocalFunction:
    """One function of the template: up to ``concurrency`` workers, each running one
    event at a time.

    Args:
        config: the function and the environment its workers get.
        concurrency: most workers at once (invocations beyond it wait for a free one).
        faults: the faults its workers inject (JSON for ``local/faults.py``), if any.
    """

    def __init__(self, config: FunctionConfig, *, concurrency: int, faults: str = "") -> None:
        self.config = config
        self.logical_id = config.logical_id
        self.name = config.name
        self.concurrency = max(1, concurrency)
        self._faults = faults
        self._idle: list[Worker] = []
        self._running: set[Worker] = set()
        # Which deploy each worker was started under: only the latest one's are kept.
        self._generation = 0
        self._generation_of: dict[Worker, int] = {}
        self._starting = 0
        self._closed = False
        self._changed = threading.Condition()
        self.cold_starts = 0

    def invoke(self, event: dict[str, Any]) -> Any:
        """Run one event in a worker of this function; see ``Worker.invoke``."""
        worker = self._acquire()
        try:
            result = worker.invoke(event)
        except InvocationFailed as err:
            self._release(worker, keep=not isinstance(err, (FunctionTimedOut, WorkerDied)))
            raise
        except BaseException:
            self._release(worker, keep=False)
            raise
        self._release(worker, keep=True)
        return result

    def workers(self) -> list[Worker]:
        """The live workers, idle and busy (for faults and for measuring memory)."""
        with self._changed:
            return [*self._idle, *self._running]

    def redeploy(self) -> None:
        """New instances from now on, as a deploy makes them on AWS: idle workers go now,
        busy or starting ones once their event is done; the next invocations start cold."""
        with self._changed:
            self._generation += 1
            idle = list(self._idle)
            self._idle.clear()
            for worker in idle:
                self._generation_of.pop(worker, None)
        for worker in idle:
            worker.close()

    def stop(self) -> None:
        """Stop every worker; an invocation still running gets ``WorkerDied``."""
        with self._changed:
            self._closed = True
            idle, running = list(self._idle), list(self._running)
            self._idle.clear()
            self._changed.notify_all()
        for worker in idle:
            worker.close()
        for worker in running:
            worker.kill()

    def _acquire(self) -> Worker:
        with self._changed:
            while True:
                if self._closed:
                    raise InvocationFailed(f"{self.logical_id} is stopped")
                while self._idle:
                    worker = self._idle.pop()
                    if worker.alive():  # a worker that died while idle is not reused
                        self._running.add(worker)
                        return worker
                    worker.kill()
                if len(self._running) + self._starting < self.concurrency:
                    self._starting += 1
                    generation = self._generation
                    break
                self._changed.wait()
        try:
            worker = Worker(self.config, self._faults)
            worker.wait_ready()
        except BaseException:
            with self._changed:
                self._starting -= 1
                self._changed.notify()
            raise
        with self._changed:
            self._starting -= 1
            self.cold_starts += 1
            self._running.add(worker)
            self._generation_of[worker] = generation
        logger.debug("cold start", extra={"function": self.logical_id, "pid": worker.pid})
        return worker

    def _release(self, worker: Worker, *, keep: bool) -> None:
        with self._changed:
            self._running.discard(worker)
            current = self._generation_of.get(worker) == self._generation
            kept = keep and not self._closed and current and worker.alive()
            if kept:
                self._idle.append(worker)
            else:
                self._generation_of.pop(worker, None)
            self._changed.notify()
        if not kept:
            worker.kill()


# What a worker keeps of this process's environment: what an interpreter needs to start
# and find the packages. Nothing else leaks in (a developer's AWS profile least of all).
_INHERITED = ("PATH", "PYTHONPATH", "TMPDIR", "LANG", "LC_ALL", "SYSTEMROOT")


def worker_environment(variables: Mapping[str, str | None]) -> dict[str, str]:
    """A worker's process environment: ``variables`` (``None`` leaves a name out), the few
    variables of this process an interpreter needs, and no AWS configuration files, so
    that nothing in ``~/.aws`` changes how the handlers' clients behave (Lambda has none)."""
    env = {name: os.environ[name] for name in _INHERITED if name in os.environ}
    env.update(AWS_CONFIG_FILE=os.devnull, AWS_SHARED_CREDENTIALS_FILE=os.devnull)
    env["PYTHONUNBUFFERED"] = "1"  # a handler's print reaches the log when it prints, as on Lambda
    env.update({name: value for name, value in variables.items() if value is not None})
    return env
