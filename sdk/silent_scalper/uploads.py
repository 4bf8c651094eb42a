"""The ``uploads`` resource: declare a file, send its bytes, return its record.

Files are read in 1 MiB chunks, twice (once to hash, once to send), so memory stays
flat whatever their size. A stream that cannot be rewound is first copied to a
temporary file.
"""

from __future__ import annotations

import hashlib
import logging
import mimetypes
import os
import shutil
import tempfile
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from typing import IO

from ._http import Transport
from .files import Files
from .models import FileRecord, UploadRequest, UploadTicket

__all__ = ["FileSource", "Uploads", "guess_content_type"]

logger = logging.getLogger("silent_scalper")

FileSource = str | os.PathLike[str] | IO[bytes]
"""A path, or a binary file object (seekable or not)."""

CHUNK_SIZE = 1024 * 1024
# Beyond this a non-seekable stream is spooled to disk rather than kept in memory.
SPOOL_MEMORY_LIMIT = 8 * CHUNK_SIZE
DEFAULT_CONTENT_TYPE = "application/octet-stream"
_CONTENT_TYPES = {
    ".csv": "text/csv",
    ".json": "application/json",
    ".jsonl": "application/x-ndjson",
    ".ndjson": "application/x-ndjson",
}


class Uploads:
    """Upload files to the pipeline: ``client.uploads``.

    Args:
        transport: The API transport; it also sends the bytes to the presigned URL.
        files: The files resource, used to return the record after the upload.
    """

    def __init__(self, transport: Transport, files: Files) -> None:
        self._transport = transport
        self._files = files

    def create(
        self,
        file: FileSource,
        *,
        filename: str | None = None,
        content_type: str | None = None,
        metadata: Mapping[str, str] | None = None,
    ) -> FileRecord:
        """Upload one file: declare it, PUT its bytes, and fetch its record.

        Args:
            file: A path, or a file object opened in binary mode. A file object is read
                from its current position and is not closed.
            filename: The name recorded with the file; defaults to the basename of the
                path or of the file object's ``name``.
            content_type: Defaults to a guess from ``filename`` (``.csv``, ``.json``,
                ``.jsonl``/``.ndjson``...); the server refuses types it cannot validate.
            metadata: Up to 10 string pairs kept with the file.

        Returns:
            The file's record right after the upload, usually ``pending_upload`` or
            ``processing``; use ``client.wait(record.file_id)`` for the outcome.

        Raises:
            ValueError: No filename was given and the file object has no name.
            TypeError: The file object is in text mode.
            OSError: The file could not be read.
            BadRequestError: The declaration was refused (the message names the field).
            PayloadTooLargeError: The file is over the size limit.
            UnsupportedMediaTypeError: The content type is not one the pipeline accepts.
            UploadError: Storage refused the bytes.
            APIStatusError: Any other error status.
            APIConnectionError: The API or storage could not be reached.
        """
        with _open(file) as (stream, default_name):
            filename = filename or default_name
            if not filename:
                raise ValueError("filename is required when the file object has no name")
            size, sha256 = _digest(stream)
            declaration = UploadRequest(
                filename=filename,
                size=size,
                content_type=content_type or guess_content_type(filename),
                sha256=sha256,
                metadata=dict(metadata) if metadata else None,
            )
            ticket = self._transport.post(
                "/uploads",
                cast_to=UploadTicket,
                json=declaration.model_dump(exclude_none=True),
            )
            logger.info("declared file %s (%d bytes)", ticket.file_id, size)
            if ticket.upload is not None:  # None: the partner already has this file
                # An empty stream would make requests fall back to chunked encoding, which
                # the signed Content-Length forbids.
                self._transport.put_presigned(ticket.upload, stream if size else b"")
                logger.info("uploaded file %s", ticket.file_id)
        return self._files.get(ticket.file_id)


def guess_content_type(filename: str) -> str:
    """Guess a content type from a file name, preferring the types the pipeline accepts.

    Args:
        filename: A file name or path.

    Returns:
        The content type; ``application/octet-stream`` when nothing matches.
    """
    extension = os.path.splitext(filename)[1].lower()
    if extension in _CONTENT_TYPES:
        return _CONTENT_TYPES[extension]
    guessed, _ = mimetypes.guess_type(filename)
    return guessed or DEFAULT_CONTENT_TYPE


@contextmanager
def _open(file: FileSource) -> Iterator[tuple[IO[bytes], str | None]]:
    """Yield a rewindable binary stream over ``file`` and its default filename."""
    if isinstance(file, str | os.PathLike):
        path = os.fspath(file)
        with open(path, "rb") as stream:
            yield stream, os.path.basename(path)
        return
    name = getattr(file, "name", None)
    default_name = os.path.basename(name) if isinstance(name, str) else None
    if _seekable(file):
        yield file, default_name
        return
    with tempfile.SpooledTemporaryFile(max_size=SPOOL_MEMORY_LIMIT) as spool:
        shutil.copyfileobj(file, spool, CHUNK_SIZE)
        spool.seek(0)
        yield spool, default_name


def _seekable(file: IO[bytes]) -> bool:
    try:
        return bool(file.seekable())
    except (AttributeError, ValueError):
        return False


def _digest(stream: IO[bytes]) -> tuple[int, str]:
    """Return the size and SHA-256 of the rest of ``stream``, then rewind it."""
    start = stream.tell()
    sha256 = hashlib.sha256()
    size = 0
    while chunk := stream.read(CHUNK_SIZE):
        if isinstance(chunk, str):
            raise TypeError("open the file in binary mode ('rb')")
        sha256.update(chunk)
        size += len(chunk)
    stream.seek(start)
    return size, sha256.hexdigest()
