"""Retries through a faulty proxy in front of the local stack: 503s and dropped connections.

The proxy stands between the SDK and both the API and storage (as an HTTP proxy, which
``requests`` honours from ``HTTP_PROXY``), answers or drops the first attempts as told,
and counts every attempt it sees.
"""

from __future__ import annotations

import http.client
import threading
import uuid
from collections import Counter
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from silent_scalper import Client, FileState

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(180)]

SLOW_DOWN = b"<Error><Code>SlowDown</Code><Message>Please reduce your request rate.</Message></Error>"


class FaultyProxy(ThreadingHTTPServer):
    """Forwards requests, except that it plays a fault for the first attempts of some.

    ``plan[(method, path prefix)]`` lists what to do with each attempt, in order:
    ``"503"`` (answer 503 without forwarding), ``"drop"`` (close the connection without
    forwarding), ``"lost"`` (forward, then close without the answer: the server acted,
    the client never heard). Later attempts are forwarded.
    """

    daemon_threads = True

    def __init__(self) -> None:
        super().__init__(("127.0.0.1", 0), _Handler)
        self.plan: dict[tuple[str, str], list[str]] = {}
        self.attempts: Counter[tuple[str, str]] = Counter()
        self.lock = threading.Lock()

    def fault_for(self, method: str, path: str) -> str | None:
        with self.lock:
            for (planned_method, prefix), faults in self.plan.items():
                if method == planned_method and path.startswith(prefix):
                    self.attempts[(planned_method, prefix)] += 1
                    return faults.pop(0) if faults else None
        return None


class _Handler(BaseHTTPRequestHandler):
    server: FaultyProxy

    def log_message(self, *args: object) -> None:
        pass

    def _relay(self) -> None:
        target = urlsplit(self.path)
        body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
        fault = self.server.fault_for(self.command, target.path)
        if fault == "drop":
            self.close_connection = True
            return
        if fault == "503":
            self.send_response(503)
            self.send_header("Retry-After", "0")
            self.send_header("Content-Length", str(len(SLOW_DOWN)))
            self.end_headers()
            self.wfile.write(SLOW_DOWN)
            return
        upstream = http.client.HTTPConnection(target.hostname, target.port, timeout=30)
        headers = {k: v for k, v in self.headers.items() if k.lower() not in ("proxy-connection", "connection")}
        upstream.request(self.command, target.path + (f"?{target.query}" if target.query else ""), body, headers)
        answer = upstream.getresponse()
        data = answer.read()
        upstream.close()
        if fault == "lost":
            self.close_connection = True
            return
        self.send_response(answer.status)
        for name, value in answer.getheaders():
            if name.lower() not in ("transfer-encoding", "connection", "content-length"):
                self.send_header(name, value)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    # http.server dispatches on these names.
    do_GET = do_POST = do_PUT = do_DELETE = _relay  # noqa: N815


@pytest.fixture
def proxy(monkeypatch: pytest.MonkeyPatch) -> Iterator[FaultyProxy]:
    server = FaultyProxy()
    threading.Thread(target=server.serve_forever, daemon=True).start()
    for name in ("NO_PROXY", "no_proxy"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("HTTP_PROXY", f"http://127.0.0.1:{server.server_port}")
    yield server
    server.shutdown()
    server.server_close()


def test_declaration_and_upload_survive_503s_and_dropped_connections(stack, proxy: FaultyProxy, tmp_path: Path) -> None:
    path = tmp_path / f"retry-{uuid.uuid4().hex[:8]}.csv"
    path.write_text(f"id,token\n1,{uuid.uuid4()}\n")
    stage, inputs = urlsplit(stack.endpoint).path, f"/{stack.name('InputBucket')}"
    proxy.plan = {
        ("POST", f"{stage}/uploads"): ["lost", "503"],  # declared, answer lost; then throttled
        ("PUT", inputs): ["503", "drop"],  # S3 SlowDown; then a reset
    }

    with Client(stack.endpoint, stack.keys["acme"], max_retries=3) as client:
        # allow_duplicate: only the Idempotency-Key can stop the retried declaration
        # from making a second file (the API's duplicate check would otherwise hide it).
        record = client.upload(path, allow_duplicate=True)
        final = client.wait(record.file_id, timeout=60, interval=0.2)
        same_name = list(client.list(q=path.name))

    assert proxy.attempts[("POST", f"{stage}/uploads")] == 3
    assert proxy.attempts[("PUT", inputs)] == 3
    assert final.state is FileState.PROCESSED
    # The lost answer was replayed for the same Idempotency-Key: one file, not two.
    assert [r.file_id for r in same_name] == [record.file_id]


def test_a_bulk_upload_rides_out_faults_on_some_files(stack, proxy: FaultyProxy, tmp_path: Path) -> None:
    run = uuid.uuid4().hex[:8]
    paths = []
    for i in range(20):
        path = tmp_path / f"{run}-{i:02d}.csv"
        path.write_text(f"id\n{i}\n")
        paths.append(path)
    stage, inputs = urlsplit(stack.endpoint).path, f"/{stack.name('InputBucket')}"
    proxy.plan = {
        ("POST", f"{stage}/uploads"): ["drop", "503", "lost", "drop"],
        ("PUT", inputs): ["503", "drop", "503"],
    }

    with Client(stack.endpoint, stack.keys["acme"], max_retries=4) as client:
        results = client.upload_many(paths, concurrency=4)
        finals = list(client.wait_many([r.file_id for r in results if r.file_id], timeout=120))
        listed = list(client.list(q=run))

    assert all(r.ok for r in results), [r.error for r in results if not r.ok]
    assert proxy.attempts[("POST", f"{stage}/uploads")] == 20 + 4
    assert proxy.attempts[("PUT", inputs)] == 20 + 3
    assert {f.state for f in finals} == {FileState.PROCESSED} and len(finals) == 20
    assert len(listed) == 20
