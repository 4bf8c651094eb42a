"""Multipart uploads: parts in parallel through presigned part URLs, resumable.

The flow (``docs/api.md``): one read of the file computes the whole file's SHA-256 and
each part's; ``POST /uploads`` declares both and answers with a presigned URL per part;
the parts go in parallel, each streamed from the file (never held whole in memory) with
its ``x-amz-checksum-sha256`` header so storage refuses a part that changed on the way;
``POST /uploads/{id}/complete`` lists every part's ETag. The journal records each
finished part, so a run killed at any point resumes with the parts still missing: fresh
URLs for them come from ``POST /uploads/{id}/parts``, which also renews a URL that
expired during a long upload.

When the upload cannot succeed by trying again (the file changed under us, storage
refused a part, the API refused to complete), it is aborted (``DELETE /uploads/{id}``)
and forgotten. When it merely could not finish (network down, Ctrl-C), it is kept for
the next run.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Iterable
from concurrent.futures import FIRST_EXCEPTION, Executor, Future, wait
from datetime import datetime
from typing import Any
from urllib.parse import quote

from ._declare import Sent, declare
from ._exceptions import (
    APIConnectionError,
    APIError,
    APIResponseValidationError,
    APIStatusError,
    ConflictError,
    NotFoundError,
    ScalperError,
    UploadError,
)
from ._http import Transport
from ._journal import Journal
from ._sources import Opened, digest_parts
from ._storage import ProgressHook, Storage
from .files import Files
from .models import (
    CompletedPart,
    CompleteRequest,
    FileRecord,
    FileState,
    PartChecksum,
    PartsRequest,
    PartTarget,
    PartUrls,
    UploadRequest,
)

__all__ = [
    "DEFAULT_MULTIPART_THRESHOLD",
    "DEFAULT_PART_SIZE",
    "MIN_PART_SIZE",
    "MultipartUploader",
    "Stopped",
    "choose_part_size",
]

logger = logging.getLogger("silent_scalper")

MIB = 1024 * 1024
DEFAULT_MULTIPART_THRESHOLD = 64 * MIB
DEFAULT_PART_SIZE = 16 * MIB
# S3's limits on parts: every part but the last at least 5 MiB, at most 10,000 parts.
MIN_PART_SIZE = 5 * MIB
MAX_PART_SIZE = 5 * 1024 * MIB
MAX_PARTS = 10_000
# Parts are sized so that a file has at most this many: the plan, the journal entry and
# the complete call stay small.
TARGET_MAX_PARTS = 1_000
MAX_PARTS_PER_PRESIGN = 1_000
# A URL this close to its expiry is renewed before a part is sent with it.
EXPIRY_MARGIN_S = 60.0
# How many times one part's expired URL is presigned again before giving up.
MAX_RENEWALS = 2


class Stopped(Exception):
    """The run was asked to stop (Ctrl-C); what was finished is journalled."""


def choose_part_size(size: int, requested: int | None = None) -> int:
    """The part size for a file of ``size`` bytes: as asked (or 16 MiB), grown to keep the
    number of parts at most 1,000 (10,000 when a size was asked), within S3's limits."""
    limit = MAX_PARTS if requested else TARGET_MAX_PARTS
    part_size = max(requested or DEFAULT_PART_SIZE, MIN_PART_SIZE)
    if size > part_size * limit:
        part_size = -(-size // limit)
        part_size = -(-part_size // MIB) * MIB  # whole MiB
    return min(part_size, MAX_PART_SIZE)


class MultipartUploader:
    """Upload one large file in parts.

    Args:
        transport: The API transport.
        files: The files resource, to read the record of an upload that is no longer pending.
        storage: Sends the parts.
        executor: Runs the parts in parallel (shared by all files of a bulk run).
        journal: Where progress is kept between runs.
        clock: Wall-clock seconds, to renew URLs before they expire; tests replace it.
    """

    def __init__(
        self,
        transport: Transport,
        files: Files,
        storage: Storage,
        executor: Executor,
        journal: Journal,
        *,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self._transport = transport
        self._files = files
        self._storage = storage
        self._executor = executor
        self._journal = journal
        self._clock = clock

    def upload(
        self,
        opened: Opened,
        declaration: dict[str, Any],
        *,
        key: str,
        part_size: int,
        idempotency_key: str,
        progress: ProgressHook | None = None,
        stop: threading.Event | None = None,
    ) -> Sent:
        """Send ``opened`` in parts, resuming from the journal entry under ``key``.

        Args:
            opened: The file.
            declaration: ``filename``, ``content_type`` and optional ``metadata`` and
                ``allow_duplicate``; size and checksums are computed here.
            key: The journal key of this file.
            part_size: The part size for a new upload (a resumed one keeps its own).
            idempotency_key: Sent with ``POST /uploads``, the same on every retry.
            progress: Told about bytes sent.
            stop: Set to stop sending parts (those in flight finish).

        Returns:
            What became of the upload.

        Raises:
            Stopped: ``stop`` was set; the upload is kept for the next run.
            ScalperError: The upload failed (see the module docstring for which
                failures abort it).
        """
        stop = stop or threading.Event()
        entry = self._journal.get(key)
        if entry is not None and entry.get("kind") == "multipart" and entry.get("size") == opened.size:
            resumed = self._resume(opened, entry, key=key, progress=progress, stop=stop)
            if resumed is not None:
                return resumed
        return self._start(opened, declaration, key, part_size, idempotency_key, progress, stop)

    def _start(
        self,
        opened: Opened,
        declaration: dict[str, Any],
        key: str,
        part_size: int,
        idempotency_key: str,
        progress: ProgressHook | None,
        stop: threading.Event,
    ) -> Sent:
        sha256, part_hashes = digest_parts(opened, part_size)
        request = UploadRequest(
            **declaration,
            size=opened.size,
            sha256=sha256,
            part_size=part_size,
            parts=[PartChecksum(part_number=n, sha256=h) for n, h in enumerate(part_hashes, start=1)],
        )
        ticket = declare(self._transport, request, idempotency_key)
        if ticket.duplicate_of is not None:
            return Sent(ticket.file_id, ticket.state, duplicate_of=ticket.duplicate_of)
        if ticket.multipart is None:
            raise APIResponseValidationError("POST /uploads answered without a multipart plan", status_code=201)
        entry: dict[str, Any] = {
            "kind": "multipart",
            "file_id": ticket.file_id,
            "sha256": sha256,
            "size": opened.size,
            "part_size": ticket.multipart.part_size,
            "etags": {},
        }
        self._journal.set(key, entry)
        logger.info("declared file %s in %d parts (%d bytes)", ticket.file_id, len(part_hashes), opened.size)
        targets = _Targets(self._transport, ticket.file_id, self._clock, len(part_hashes))
        targets.add(ticket.multipart.parts, ticket.expires_at)
        return self._finish(opened, entry, key, targets, progress, stop)

    def _resume(
        self,
        opened: Opened,
        entry: dict[str, Any],
        *,
        key: str,
        progress: ProgressHook | None,
        stop: threading.Event,
    ) -> Sent | None:
        file_id = str(entry["file_id"])
        targets = _Targets(self._transport, file_id, self._clock, _part_count(entry))
        missing = _missing_parts(entry)
        try:
            targets.renew(missing[:MAX_PARTS_PER_PRESIGN])
        except (NotFoundError, ConflictError):
            # No longer a pending multipart upload: completed by the run that was
            # killed, or cancelled/expired since. Ask the record which.
            return self._settled(file_id, key)
        logger.info("resuming file %s: %d of %d parts to send", file_id, len(missing), _part_count(entry))
        return self._finish(opened, entry, key, targets, progress, stop)

    def _settled(self, file_id: str, key: str) -> Sent | None:
        self._journal.remove(key)
        try:
            record = self._files.get(file_id)
        except NotFoundError:
            return None
        if record.state in (FileState.PENDING_UPLOAD, FileState.CANCELLED, FileState.EXPIRED):
            return None  # start again
        return Sent(record.file_id, record.state, record=record)

    def _finish(
        self,
        opened: Opened,
        entry: dict[str, Any],
        key: str,
        targets: _Targets,
        progress: ProgressHook | None,
        stop: threading.Event,
    ) -> Sent:
        file_id = str(entry["file_id"])
        try:
            sent = self._send_parts(opened, entry, key, targets, progress, stop)
            etags: dict[str, str] = entry["etags"]
            parts = [CompletedPart(part_number=int(n), etag=etags[n]) for n in sorted(etags, key=int)]
            record = self._transport.post(
                f"/uploads/{quote(file_id, safe='')}/complete",
                cast_to=FileRecord,
                json=CompleteRequest(parts=parts).model_dump(),
                idempotent=True,  # completing twice is harmless: the second call returns the record
            )
        except ScalperError as err:
            if _is_fatal(err):
                self._abort(file_id, key, err)
            raise
        logger.info("completed file %s", file_id)
        return Sent(record.file_id, record.state, record=record, bytes_sent=sent)

    def _send_parts(
        self,
        opened: Opened,
        entry: dict[str, Any],
        key: str,
        targets: _Targets,
        progress: ProgressHook | None,
        stop: threading.Event,
    ) -> int:
        part_size = int(entry["part_size"])
        lock = threading.Lock()
        failed = threading.Event()

        def send(number: int) -> int:
            if stop.is_set() or failed.is_set():
                raise Stopped
            offset = (number - 1) * part_size
            body = opened.slice(offset, part_size)
            length = len(body)
            for renewal in range(MAX_RENEWALS + 1):
                try:
                    etag = self._storage.put(targets.get(number), body, progress=progress)
                    break
                except UploadError as err:
                    if not err.url_expired or renewal == MAX_RENEWALS:
                        raise
                    targets.renew([number])
            if not etag:
                raise UploadError("storage accepted a part but answered without an ETag", status_code=200)
            with lock:
                entry["etags"][str(number)] = etag
                self._journal.set(key, entry)
            return length

        missing = _missing_parts(entry)
        futures: list[Future[int]] = [self._executor.submit(send, number) for number in missing]
        _, pending = wait(futures, return_when=FIRST_EXCEPTION)
        if pending:
            failed.set()  # parts not started yet stop; those in flight finish
            wait(futures)
        # A future cancelled by the executor's shutdown (Ctrl-C) counts as stopped.
        errors = [Stopped() if f.cancelled() else f.exception() for f in futures]
        real = [e for e in errors if e is not None and not isinstance(e, Stopped)]
        if real:
            raise real[0]
        if any(errors):
            raise Stopped
        return sum(f.result() for f in futures)

    def _abort(self, file_id: str, key: str, cause: ScalperError) -> None:
        self._journal.remove(key)
        try:
            self._transport.request("DELETE", f"/uploads/{quote(file_id, safe='')}", cast_to=FileRecord)
        except ScalperError as err:
            logger.warning("could not abort file %s after %s: %s", file_id, cause.code, err.code)
        else:
            logger.info("aborted file %s after %s", file_id, cause.code)


class _Targets:
    """The presigned URL of each part, renewed when missing or about to expire.

    An answer may hold URLs for only some parts (at most 1,000); the others are asked
    for in batches of up to 1,000, from the first part that needs one.
    """

    def __init__(self, transport: Transport, file_id: str, clock: Callable[[], float], part_count: int) -> None:
        self._transport = transport
        self._file_id = file_id
        self._clock = clock
        self._part_count = part_count
        self._targets: dict[int, tuple[PartTarget, float | None]] = {}
        self._lock = threading.Lock()
        self._renewing = threading.Lock()

    def add(self, targets: Iterable[PartTarget], expires_at: datetime | None) -> None:
        expiry = expires_at.timestamp() if expires_at is not None else None
        with self._lock:
            for target in targets:
                self._targets[target.part_number] = (target, expiry)

    def get(self, number: int) -> PartTarget:
        with self._lock:
            if self._fresh(number):
                return self._targets[number][0]
        # One renewal at a time: a part another thread just renewed is not asked again.
        with self._renewing:
            with self._lock:
                if self._fresh(number):
                    return self._targets[number][0]
                # This part and the next ones that will need a URL too, in one call.
                last = min(number + MAX_PARTS_PER_PRESIGN, self._part_count + 1)
                batch = [n for n in range(number, last) if not self._fresh(n)]
            self.renew(batch)
        with self._lock:
            return self._targets[number][0]

    def _fresh(self, number: int) -> bool:
        known = self._targets.get(number)
        return known is not None and (known[1] is None or self._clock() <= known[1] - EXPIRY_MARGIN_S)

    def renew(self, numbers: list[int]) -> None:
        if not numbers:
            return
        answer = self._transport.post(
            f"/uploads/{quote(self._file_id, safe='')}/parts",
            cast_to=PartUrls,
            json=PartsRequest(part_numbers=numbers).model_dump(),
            idempotent=True,  # it only presigns
        )
        self.add(answer.multipart.parts, answer.expires_at)
        with self._lock:
            absent = [n for n in numbers if n not in self._targets]
        if absent:
            raise APIResponseValidationError(f"no URL was returned for parts {absent[:5]}", status_code=200)


def _part_count(entry: dict[str, Any]) -> int:
    return max(1, -(-int(entry["size"]) // int(entry["part_size"])))


def _missing_parts(entry: dict[str, Any]) -> list[int]:
    etags: dict[str, str] = entry["etags"]
    return [n for n in range(1, _part_count(entry) + 1) if str(n) not in etags]


def _is_fatal(err: ScalperError) -> bool:
    """Whether trying again later cannot help, so the upload should be aborted."""
    if isinstance(err, APIConnectionError):
        return False
    if isinstance(err, UploadError):
        return err.status_code is not None and err.status_code < 500 and not err.url_expired
    if isinstance(err, APIStatusError):
        return err.status_code < 500 and err.status_code != 429
    return not isinstance(err, APIError)
