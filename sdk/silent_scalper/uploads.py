"""The ``uploads`` resource: send one file or thousands, and return what became of them.

One file: hash it (SHA-256, streamed), declare it (``POST /uploads``, with an
``Idempotency-Key`` so the declaration is retried safely), send the bytes to the
presigned URL (retried from a rewound stream), return its record. Files above the
multipart threshold go in parts (``_multipart``). When the API already has the same file
(same SHA-256 and filename), it answers with that file and nothing is sent.

Many files: the same, ``concurrency`` at a time over pooled connections, one result per
file; one bad file never stops the others. A journal remembers finished files and
multipart progress, so a re-run after Ctrl-C or a crash sends only what is missing.
"""

from __future__ import annotations

import logging
import os
import threading
import time
import uuid
from collections.abc import Iterable, Iterator, Mapping
from concurrent.futures import Executor, Future, ThreadPoolExecutor, as_completed
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any, Literal

from ._declare import Sent, declaration_fields, declare, guess_content_type
from ._exceptions import APIResponseValidationError, FileReadError, InvalidArgumentError, ScalperError
from ._http import Transport
from ._journal import Journal, MemoryJournal, journal_key
from ._multipart import DEFAULT_MULTIPART_THRESHOLD, MultipartUploader, Stopped, choose_part_size
from ._progress import ProgressCallback, ProgressTracker
from ._sources import FileSource, Opened, PathSource, digest, expand_paths, open_source
from ._storage import ProgressHook, Storage
from .files import Files
from .models import FileRecord, FileState, UploadRequest

__all__ = ["DEFAULT_CONCURRENCY", "FileSource", "UploadResult", "Uploads", "guess_content_type"]

logger = logging.getLogger("silent_scalper")

DEFAULT_CONCURRENCY = 8

Outcome = Literal["uploaded", "duplicate", "skipped", "failed"]


@dataclass(frozen=True)
class UploadResult:
    """What became of one file of :meth:`Uploads.many`.

    Attributes:
        source: The path, as found (a file of a directory, a match of a pattern).
        filename: The name declared for it.
        outcome: ``uploaded`` (bytes sent), ``duplicate`` (the API already had this
            file: nothing sent), ``skipped`` (the journal says an earlier run uploaded
            it: nothing sent, not even a request), or ``failed``.
        file_id: The file's id (the existing file's for a duplicate or skipped file).
        state: The file's state when last seen (``record.state`` whenever there is a record).
        record: The file's record (filled in by :meth:`Uploads.many`, or after waiting).
        error: Why it failed, for ``failed``.
        size: The file's size in bytes.
        bytes_sent: Bytes this run sent to storage for it.
        duration_s: Seconds spent on it.
    """

    source: str
    filename: str
    outcome: Outcome
    file_id: str | None = None
    state: FileState | None = None
    record: FileRecord | None = None
    error: ScalperError | None = None
    size: int = 0
    bytes_sent: int = 0
    duration_s: float = 0.0

    @property
    def ok(self) -> bool:
        """Whether the API has the file (uploaded now, before, or as a duplicate)."""
        return self.outcome != "failed"

    def with_record(self, record: FileRecord | None) -> UploadResult:
        """The same result with a newer record (and its state)."""
        if record is None:
            return self
        return replace(self, record=record, state=record.state)


class Uploads:
    """Upload files to the pipeline: ``client.uploads``.

    Args:
        transport: The API transport.
        files: The files resource, for records.
        storage: Sends bytes to presigned URLs.
        journal: Where finished files and multipart progress are kept.
        journal_scope: Who uploads, as a non-secret fingerprint (journals never mix
            partners).
        concurrency: Files (and parts) in flight at once.
        multipart_threshold: Files of at least this many bytes go in parts.
        part_size: The part size asked for (default: 16 MiB, grown for huge files).
    """

    def __init__(
        self,
        transport: Transport,
        files: Files,
        storage: Storage,
        *,
        journal: Journal | None = None,
        journal_scope: str = "",
        concurrency: int = DEFAULT_CONCURRENCY,
        multipart_threshold: int = DEFAULT_MULTIPART_THRESHOLD,
        part_size: int | None = None,
    ) -> None:
        self._transport = transport
        self._files = files
        self._storage = storage
        self._journal: Journal = journal if journal is not None else MemoryJournal()
        self._scope = journal_scope
        self.concurrency = _positive("concurrency", concurrency)
        self.multipart_threshold = _positive("multipart_threshold", multipart_threshold)
        self.part_size = part_size

    def create(
        self,
        file: FileSource,
        *,
        filename: str | None = None,
        content_type: str | None = None,
        metadata: Mapping[str, str] | None = None,
        allow_duplicate: bool = False,
    ) -> FileRecord:
        """Upload one file and return its record.

        Args:
            file: A path, the bytes themselves, or a file object opened in binary mode
                (read from its current position, not closed).
            filename: The name recorded with the file; defaults to the basename of the
                path or of the file object's ``name``. Required for bytes.
            content_type: Defaults to a guess from ``filename`` (``.csv``, ``.json``,
                ``.jsonl``/``.ndjson``, ``.dcm``...); the server refuses types it cannot validate.
            metadata: Up to 10 string pairs kept with the file.
            allow_duplicate: Upload even if the same file (same SHA-256 and filename)
                was uploaded before; by default the existing file's record is returned.

        Returns:
            The file's record right after the upload, usually ``pending_upload`` or
            ``processing`` (for a duplicate, the existing file's record, maybe already
            final); use ``client.wait(record.file_id)`` for the outcome.

        Raises:
            InvalidArgumentError: A bad argument (no filename for bytes, a text-mode
                file, metadata that is not string pairs...); nothing was sent.
            FileReadError: The file could not be read.
            BadRequestError: The declaration was refused (the message names the field).
            PayloadTooLargeError: The file is over the size limit.
            UnsupportedMediaTypeError: The content type is not one the pipeline accepts.
            UploadError: Storage refused the bytes.
            APIStatusError: Any other error status.
            APIConnectionError: The API or storage could not be reached, after retries.
        """
        with open_source(file) as opened:
            name = filename or opened.name
            if not name:
                raise InvalidArgumentError(
                    "filename is required when uploading bytes or a file object without a name: pass filename=..."
                )
            declaration = declaration_fields(name, content_type, metadata, allow_duplicate)
            key = self._key_for(file, opened, name) if isinstance(file, str | os.PathLike) else None
            with ThreadPoolExecutor(self.concurrency, thread_name_prefix="scalper-part") as parts:
                sent = self._send(opened, declaration, key=key, parts=parts, progress=None, stop=None)
        if sent.record is not None:
            return sent.record
        return self._files.get(sent.file_id)

    def many(
        self,
        files: PathSource | Iterable[PathSource],
        *,
        recursive: bool = False,
        content_type: str | None = None,
        metadata: Mapping[str, str] | None = None,
        allow_duplicate: bool = False,
        concurrency: int | None = None,
        on_progress: ProgressCallback | None = None,
    ) -> list[UploadResult]:
        """Upload many files in parallel; one result per file, in the order given.

        See :meth:`iter_many` for the arguments. The results carry each file's record
        (read 100 at a time once the uploads are done).

        Returns:
            One :class:`UploadResult` per file, failed ones included.

        Raises:
            InvalidArgumentError: A bad argument, before anything is sent.
            FileReadError: A directory could not be listed.
        """
        paths = expand_paths(files, recursive=recursive)
        running = self._start_many(
            paths,
            content_type=content_type,
            metadata=metadata,
            allow_duplicate=allow_duplicate,
            concurrency=concurrency,
            on_progress=on_progress,
        )
        return self.attach_records(in_path_order(paths, running))

    def iter_many(
        self,
        files: PathSource | Iterable[PathSource],
        *,
        recursive: bool = False,
        content_type: str | None = None,
        metadata: Mapping[str, str] | None = None,
        allow_duplicate: bool = False,
        concurrency: int | None = None,
        on_progress: ProgressCallback | None = None,
    ) -> Iterator[UploadResult]:
        """Upload many files in parallel, yielding each result as its file finishes.

        Args:
            files: A file, a directory, a glob pattern, or an iterable of them. A
                directory gives its files (not hidden ones), with ``recursive`` those
                of its subdirectories too.
            recursive: Descend into subdirectories (and let ``**`` match them).
            content_type: For every file; by default guessed from each name.
            metadata: Kept with every file.
            allow_duplicate: Upload files the API already has (by SHA-256 and name).
            concurrency: Files in flight at once (default: the client's, 8).
            on_progress: Called with a :class:`Progress` as bytes go and files finish.

        Returns:
            A lazy iterator; the uploads start with the first ``next()``. Closing it
            early (or Ctrl-C while it runs) stops the run: files in flight finish and
            are yielded, then ``KeyboardInterrupt`` propagates; files not started are
            not. Everything that finished is in the journal.

        Raises:
            InvalidArgumentError: A bad argument, before anything is sent.
            FileReadError: A directory could not be listed.
        """
        return self._start_many(
            expand_paths(files, recursive=recursive),
            content_type=content_type,
            metadata=metadata,
            allow_duplicate=allow_duplicate,
            concurrency=concurrency,
            on_progress=on_progress,
        )

    def _start_many(
        self,
        paths: list[Path],
        *,
        content_type: str | None,
        metadata: Mapping[str, str] | None,
        allow_duplicate: bool,
        concurrency: int | None,
        on_progress: ProgressCallback | None,
    ) -> Iterator[UploadResult]:
        """Check the arguments now, then return the lazy run over ``paths`` (already expanded).

        Shared by :meth:`many`, :meth:`iter_many` and ``scalper upload``, which expand the
        paths once and keep them to put the results back in order (:func:`in_path_order`).

        Raises:
            InvalidArgumentError: A bad argument, before anything is sent.
        """
        workers = _positive("concurrency", concurrency if concurrency is not None else self.concurrency)
        declaration_fields("check", content_type, metadata, allow_duplicate)  # fail before the first file
        return self._run_many(paths, workers, content_type, metadata, allow_duplicate, on_progress)

    def attach_records(self, results: list[UploadResult]) -> list[UploadResult]:
        """Fill in each result's current record (100 files per request)."""
        records = self._files.get_many(r.file_id for r in results if r.file_id)
        return [r.with_record(records.get(r.file_id)) if r.file_id else r for r in results]

    def _run_many(
        self,
        paths: list[Path],
        workers: int,
        content_type: str | None,
        metadata: Mapping[str, str] | None,
        allow_duplicate: bool,
        on_progress: ProgressCallback | None,
    ) -> Iterator[UploadResult]:
        sizes = {path: _size_or_zero(path) for path in paths}
        tracker = ProgressTracker(len(paths), sum(sizes.values()), on_progress)
        self._transport.ensure_pool(workers)
        self._storage.ensure_pool(2 * workers)
        stop = threading.Event()
        file_pool = ThreadPoolExecutor(workers, thread_name_prefix="scalper-file")
        part_pool = ThreadPoolExecutor(workers, thread_name_prefix="scalper-part")
        yielded: set[Future[UploadResult | None]] = set()
        futures = [
            file_pool.submit(
                self._upload_path, path, content_type, metadata, allow_duplicate, part_pool, tracker, stop
            )
            for path in paths
        ]
        try:
            for future in as_completed(futures):
                yielded.add(future)
                if (result := future.result()) is not None:
                    yield result
        except KeyboardInterrupt:
            stop.set()
            file_pool.shutdown(wait=True, cancel_futures=True)
            for future in futures:
                finished = future not in yielded and future.done() and not future.cancelled()
                if finished and (result := future.result()) is not None:
                    yield result
            raise
        finally:
            stop.set()
            file_pool.shutdown(wait=True, cancel_futures=True)
            part_pool.shutdown(wait=True, cancel_futures=True)

    def _upload_path(
        self,
        path: Path,
        content_type: str | None,
        metadata: Mapping[str, str] | None,
        allow_duplicate: bool,
        parts: Executor,
        tracker: ProgressTracker,
        stop: threading.Event,
    ) -> UploadResult | None:
        """One file of a bulk run; never raises, but returns ``None`` when stopped."""
        started = time.monotonic()
        source = str(path)
        result = UploadResult(source, path.name, "failed")
        try:
            if stop.is_set():
                raise Stopped
            with open_source(path) as opened:
                result = replace(result, size=opened.size)
                declaration = declaration_fields(path.name, content_type, metadata, allow_duplicate)
                key = self._key_for(path, opened, path.name)
                done = None if allow_duplicate else self._journal.get(key)
                if done is not None and done.get("kind") == "done":
                    result = replace(result, outcome="skipped", file_id=str(done["file_id"]))
                else:
                    sent = self._send(opened, declaration, key=key, parts=parts, progress=tracker.sent, stop=stop)
                    outcome: Outcome = "duplicate" if sent.duplicate_of else "uploaded"
                    result = replace(
                        result, outcome=outcome, file_id=sent.file_id, state=sent.state, bytes_sent=sent.bytes_sent
                    )
                    result = result.with_record(sent.record)
        except Stopped:
            return None
        except ScalperError as err:
            logger.info("file %s failed: %s", path.name, err.code)
            result = replace(result, error=err)
        except OSError as err:
            result = replace(result, error=FileReadError.from_os_error(source, err))
        result = replace(result, duration_s=time.monotonic() - started)
        tracker.file_done(result.size, result.bytes_sent, failed=not result.ok)
        return result

    def _send(
        self,
        opened: Opened,
        declaration: dict[str, Any],
        *,
        key: str | None,
        parts: Executor,
        progress: ProgressHook | None,
        stop: threading.Event | None,
    ) -> Sent:
        """Send one opened file (single PUT or multipart) and journal it as done."""
        idempotency_key = f"sdk-{uuid.uuid4().hex}"
        journal = self._journal if key is not None else MemoryJournal()
        key = key or idempotency_key
        if opened.size >= self.multipart_threshold:
            uploader = MultipartUploader(self._transport, self._files, self._storage, parts, journal)
            part_size = choose_part_size(opened.size, self.part_size)
            sent = uploader.upload(
                opened,
                declaration,
                key=key,
                part_size=part_size,
                idempotency_key=idempotency_key,
                progress=progress,
                stop=stop,
            )
        else:
            sent = self._send_single(opened, declaration, idempotency_key, progress)
        journal.set(key, {"kind": "done", "file_id": sent.file_id})
        return sent

    def _send_single(
        self, opened: Opened, declaration: dict[str, Any], idempotency_key: str, progress: ProgressHook | None
    ) -> Sent:
        request = UploadRequest(**declaration, size=opened.size, sha256=digest(opened))
        ticket = declare(self._transport, request, idempotency_key)
        if ticket.duplicate_of is not None:
            return Sent(ticket.file_id, ticket.state, duplicate_of=ticket.duplicate_of)
        if ticket.upload is None:
            raise APIResponseValidationError("POST /uploads answered without an upload target", status_code=201)
        logger.info("declared file %s (%d bytes)", ticket.file_id, opened.size)
        self._storage.put(ticket.upload, opened.slice(), progress=progress)
        logger.info("uploaded file %s", ticket.file_id)
        return Sent(ticket.file_id, FileState.PENDING_UPLOAD, bytes_sent=opened.size)

    def _key_for(self, path: PathSource, opened: Opened, filename: str) -> str:
        stat = os.stat(path)
        return journal_key(
            scope=self._scope,
            endpoint=self._transport.base_url,
            path=os.fspath(path),
            size=opened.size,
            mtime_ns=stat.st_mtime_ns,
            filename=filename,
        )


def in_path_order(paths: list[Path], results: Iterable[UploadResult]) -> list[UploadResult]:
    """``results`` (yielded as files finish) in the order of ``paths``, as expanded."""
    order = {str(path): index for index, path in enumerate(paths)}
    return sorted(results, key=lambda result: order[result.source])


def _positive(name: str, value: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise InvalidArgumentError(f"{name} must be a positive integer, got {value!r}")
    return value


def _size_or_zero(path: Path) -> int:
    try:
        return path.stat().st_size
    except OSError:
        return 0  # reported as this file's error when it is opened
