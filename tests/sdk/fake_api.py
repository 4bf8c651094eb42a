"""A fake API and storage that serve any number of uploads, for bulk and CLI tests."""

from __future__ import annotations

import base64
import json
import re
import threading
import time
from collections.abc import Callable
from typing import Any
from urllib.parse import parse_qs, urlsplit

import requests
import responses

ENDPOINT = "http://scalper.test/v1"
STORAGE = "http://storage.test/bucket"


class FakeApi:
    """The API and storage for tests that upload many files, as ``responses`` callbacks.

    File ids are ``f_<stem of the filename>``. Each read of a file returns the next of
    its ``states`` (the last one repeats). ``POST /uploads`` answers a duplicate when
    the same SHA-256 and filename were declared before (unless ``allow_duplicate``).
    Multipart declarations get one presigned URL per part.
    """

    def __init__(self, mock: responses.RequestsMock, record: Callable[..., dict[str, Any]]) -> None:
        self.mock = mock
        self._record = record
        self.declarations: dict[str, dict[str, Any]] = {}
        self.idempotency_keys: list[str] = []
        self.stored: dict[str, bytes] = {}
        self.part_headers: dict[tuple[str, int], dict[str, str]] = {}
        self.states: dict[str, list[str]] = {}
        self.reasons: dict[str, list[dict[str, str]]] = {}
        self.refused: dict[str, tuple[int, dict[str, Any]]] = {}
        self.completed: dict[str, list[dict[str, Any]]] = {}
        self.aborted: list[str] = []
        self.reads: list[list[str]] = []
        # "f_x" or "f_x#<part>" -> answers to give, in order, before storing: (status, body) or an exception
        self.put_failures: dict[str, list[tuple[int, str] | Exception]] = {}
        self.in_flight = 0
        self.max_in_flight = 0
        self.put_delay = 0.0
        self.complete_errors: list[tuple[int, str]] = []  # (status, code) answers to give first
        self.plan_limit: int | None = None  # URLs for at most this many parts in POST /uploads
        self.lock = threading.Lock()
        base = re.escape(ENDPOINT)
        mock.add_callback(responses.POST, f"{ENDPOINT}/uploads", callback=self._declare)
        mock.add_callback(responses.POST, re.compile(rf"{base}/uploads/[^/]+/parts"), callback=self._presign)
        mock.add_callback(responses.POST, re.compile(rf"{base}/uploads/[^/]+/complete"), callback=self._complete)
        mock.add_callback(responses.DELETE, re.compile(rf"{base}/uploads/[^/]+"), callback=self._abort)
        mock.add_callback(responses.PUT, re.compile(rf"{re.escape(STORAGE)}/.*"), callback=self._put)
        mock.add_callback(responses.GET, re.compile(rf"{base}/files\?.*"), callback=self._list)
        mock.add_callback(responses.GET, re.compile(rf"{base}/files/[^/?]+"), callback=self._get)

    def count(self, method: str, fragment: str) -> int:
        """How many calls of ``method`` had ``fragment`` in their URL."""
        return sum(1 for c in self.mock.calls if c.request.method == method and fragment in str(c.request.url))

    def _declare(self, request: requests.PreparedRequest) -> tuple[int, dict[str, str], str]:
        body = json.loads(request.body or b"{}")
        file_id = "f_" + re.sub(r"[^a-z0-9]", "_", body["filename"].rsplit(".", 1)[0].lower())
        with self.lock:
            self.idempotency_keys.append(request.headers.get("Idempotency-Key", ""))
            if body["filename"] in self.refused:
                status, error = self.refused[body["filename"]]
                return (status, {}, json.dumps(error))
            earlier = self.declarations.get(file_id)
            if earlier and earlier["sha256"] == body["sha256"] and not body.get("allow_duplicate"):
                state = self.states.get(file_id, ["processed"])[-1]
                duplicate = {"file_id": file_id, "duplicate_of": file_id, "state": state, "upload": None}
                return (200, {}, json.dumps(duplicate | {"multipart": None, "expires_at": None}))
            self.declarations[file_id] = body
            self.states.setdefault(file_id, ["pending_upload", "processed"])
        ticket: dict[str, Any] = {"file_id": file_id, "state": "pending_upload", "duplicate_of": None}
        ticket["expires_at"] = "2099-01-01T00:00:00Z"
        if "parts" in body:
            ticket["upload"] = None
            numbers = [part["part_number"] for part in body["parts"]][: self.plan_limit]
            ticket["multipart"] = {"part_size": body["part_size"], "parts": self._targets(file_id, numbers)}
        else:
            headers = {"Content-Length": str(body["size"]), "x-amz-checksum-sha256": _b64(body["sha256"])}
            ticket["upload"] = {"method": "PUT", "url": f"{STORAGE}/{file_id}?X-Amz-Signature=s", "headers": headers}
            ticket["multipart"] = None
        return (201, {}, json.dumps(ticket))

    def _targets(self, file_id: str, numbers: list[int]) -> list[dict[str, Any]]:
        parts = {p["part_number"]: p for p in self.declarations[file_id].get("parts", [])}
        return [
            {
                "part_number": n,
                "method": "PUT",
                "url": f"{STORAGE}/{file_id}?partNumber={n}&X-Amz-Signature=s",
                "headers": {"x-amz-checksum-sha256": _b64(parts[n]["sha256"])},
            }
            for n in numbers
        ]

    def _presign(self, request: requests.PreparedRequest) -> tuple[int, dict[str, str], str]:
        file_id = str(request.url).split("/uploads/")[1].split("/")[0]
        numbers = json.loads(request.body or b"{}")["part_numbers"]
        part_size = self.declarations[file_id]["part_size"]
        plan = {"part_size": part_size, "parts": self._targets(file_id, numbers)}
        return (200, {}, json.dumps({"file_id": file_id, "multipart": plan, "expires_at": "2099-01-01T00:00:00Z"}))

    def _complete(self, request: requests.PreparedRequest) -> tuple[int, dict[str, str], str]:
        file_id = str(request.url).split("/uploads/")[1].split("/")[0]
        with self.lock:
            if self.complete_errors:
                status, code = self.complete_errors.pop(0)
                return (status, {}, json.dumps({"error": {"code": code, "message": code, "request_id": "r"}}))
            self.completed[file_id] = json.loads(request.body or b"{}")["parts"]
        return (200, {}, json.dumps(self._state_of(file_id, advance=False)))

    def _abort(self, request: requests.PreparedRequest) -> tuple[int, dict[str, str], str]:
        file_id = str(request.url).rsplit("/", 1)[1]
        with self.lock:
            self.aborted.append(file_id)
            self.states[file_id] = ["cancelled"]
        return (200, {}, json.dumps(self._state_of(file_id, advance=False)))

    def _put(self, request: requests.PreparedRequest) -> tuple[int, dict[str, str], str]:
        url = str(request.url)
        file_id = url.removeprefix(STORAGE + "/").split("?")[0]
        part = url.split("partNumber=")[1].split("&")[0] if "partNumber=" in url else None
        with self.lock:
            self.in_flight += 1
            self.max_in_flight = max(self.max_in_flight, self.in_flight)
        try:
            time.sleep(self.put_delay)
            data = read_body(request.body)
        finally:
            with self.lock:
                self.in_flight -= 1
        with self.lock:
            failures = self.put_failures.get(f"{file_id}#{part}" if part else file_id, [])
            if failures:
                failure = failures.pop(0)
                if isinstance(failure, Exception):
                    raise failure
                return (failure[0], {}, failure[1])
            if "partNumber=" in url:
                number = int(url.split("partNumber=")[1].split("&")[0])
                self.part_headers[(file_id, number)] = dict(request.headers)
                self.stored[f"{file_id}#{number}"] = data
                return (200, {"ETag": f'"etag-{number}"'}, "")
            self.stored[file_id] = data
        return (200, {"ETag": '"etag"'}, "")

    def _list(self, request: requests.PreparedRequest) -> tuple[int, dict[str, str], str]:
        query = parse_qs(urlsplit(str(request.url)).query)
        ids = query["ids"][0].split(",")
        with self.lock:
            self.reads.append(ids)
            files = [self._state_of(i) for i in ids if i in self.declarations]
        return (200, {}, json.dumps({"files": files, "next_cursor": None}))

    def _get(self, request: requests.PreparedRequest) -> tuple[int, dict[str, str], str]:
        file_id = urlsplit(str(request.url)).path.rsplit("/", 1)[1]
        with self.lock:
            if file_id not in self.declarations:
                error = {"error": {"code": "file_not_found", "message": f"no file {file_id}", "request_id": "r"}}
                return (404, {}, json.dumps(error))
            return (200, {}, json.dumps(self._state_of(file_id)))

    def _state_of(self, file_id: str, *, advance: bool = True) -> dict[str, Any]:
        states = self.states[file_id]
        state = states.pop(0) if advance and len(states) > 1 else states[0]
        declared = self.declarations[file_id]
        return self._record(
            "file_record_processed",
            file_id=file_id,
            state=state,
            filename=declared["filename"],
            size=declared["size"],
            sha256=declared["sha256"],
            reasons=self.reasons.get(file_id, []) if state == "quarantined" else [],
        )


def _b64(hex_digest: str) -> str:
    return base64.b64encode(bytes.fromhex(hex_digest)).decode()


def read_body(body: Any) -> bytes:
    if hasattr(body, "read"):
        return b"".join(iter(lambda: body.read(65536), b""))
    return bytes(body or b"")


