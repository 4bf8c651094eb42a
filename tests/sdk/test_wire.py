"""One upload over a real loopback socket, where ``responses`` cannot see framing.

Checks what only the wire shows: the body is streamed with the signed Content-Length
(never chunked), and storage receives the signed headers but not the API key.
"""

from __future__ import annotations

import base64
import hashlib
import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any, cast

import pytest

from silent_scalper import Client


class _Server(ThreadingHTTPServer):
    """Remembers the last declaration and the last PUT."""

    def __init__(self) -> None:
        super().__init__(("127.0.0.1", 0), _FakeStack)
        self.declared: dict[str, Any] = {}
        self.put: dict[str, Any] = {}

    @property
    def endpoint(self) -> str:
        return f"http://127.0.0.1:{self.server_port}/v1"


class _FakeStack(BaseHTTPRequestHandler):
    """POST /v1/uploads, PUT /bucket/<id>, GET /v1/files/<id>."""

    @property
    def stack(self) -> _Server:
        return cast(_Server, self.server)

    def log_message(self, format: str, *args: Any) -> None:
        """Keep the test output quiet."""

    def do_POST(self) -> None:
        declared = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        self.stack.declared = declared
        checksum = base64.b64encode(bytes.fromhex(declared["sha256"])).decode()
        url = f"http://127.0.0.1:{self.stack.server_port}/bucket/f_1?X-Amz-Signature=sig"
        headers = {
            "Content-Type": declared["content_type"],
            "Content-Length": str(declared["size"]),
            "x-amz-checksum-sha256": checksum,
        }
        self._reply(
            201,
            {
                "file_id": "f_1",
                "upload": {"method": "PUT", "url": url, "headers": headers},
                "expires_at": "2026-11-25T21:52:20Z",
            },
        )

    def do_PUT(self) -> None:
        length = int(self.headers.get("Content-Length", "0"))
        self.stack.put = {"headers": dict(self.headers), "body": self.rfile.read(length)}
        self.send_response(200)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def do_GET(self) -> None:
        declared = self.stack.declared
        record = {key: declared[key] for key in ("filename", "size", "content_type", "sha256")}
        now = "2026-11-25T21:37:20Z"
        self._reply(200, {"file_id": "f_1", "state": "processing", "created_at": now, "updated_at": now, **record})

    def _reply(self, status: int, payload: dict[str, Any]) -> None:
        body = json.dumps(payload).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)


@pytest.fixture
def stack() -> Iterator[_Server]:
    server = _Server()
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield server
    server.shutdown()
    server.server_close()


@pytest.mark.parametrize("size", [0, 3 * 1024 * 1024 + 1])
def test_upload_streams_the_signed_length_to_storage_without_the_api_key(
    stack: _Server, tmp_path: Path, size: int
) -> None:
    content = bytes(range(256)) * (size // 256) + b"x" * (size % 256)
    path = tmp_path / "scan.csv"
    path.write_bytes(content)

    with Client(stack.endpoint, "sk-wire-secret") as client:
        record = client.upload(path)

    headers = stack.put["headers"]
    assert stack.put["body"] == content
    assert headers["Content-Length"] == str(size)
    assert "Transfer-Encoding" not in headers
    assert headers["x-amz-checksum-sha256"] == base64.b64encode(hashlib.sha256(content).digest()).decode()
    assert "sk-wire-secret" not in json.dumps(headers)
    assert record.sha256 == hashlib.sha256(content).hexdigest()
