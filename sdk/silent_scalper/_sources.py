"""What can be uploaded, and reading it: paths, bytes, file objects; hashing; slices.

Files are read in 1 MiB chunks, so memory stays flat whatever their size. A stream that
cannot be rewound is first copied to a temporary file, since its bytes are read twice
(once to hash, once to send).
"""

from __future__ import annotations

import glob
import hashlib
import io
import os
import shutil
import tempfile
import threading
from collections.abc import Iterable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO

from ._exceptions import FileReadError, InvalidArgumentError

__all__ = [
    "CHUNK_SIZE",
    "FileSource",
    "Opened",
    "PathSource",
    "Slice",
    "digest",
    "digest_parts",
    "expand_paths",
    "open_source",
]

FileSource = str | os.PathLike[str] | bytes | bytearray | memoryview | IO[bytes]
"""A path, the bytes themselves, or a binary file object (seekable or not)."""

PathSource = str | os.PathLike[str]
"""A file, a directory, or a glob pattern."""

CHUNK_SIZE = 1024 * 1024
# Large enough that handing each chunk to the second hasher costs little.
HASH_CHUNK_SIZE = 8 * CHUNK_SIZE
# Beyond this a non-seekable stream is spooled to disk rather than kept in memory.
SPOOL_MEMORY_LIMIT = 8 * CHUNK_SIZE
_GLOB_CHARS = frozenset("*?[")


@dataclass(frozen=True)
class Opened:
    """A source opened for upload: a rewindable binary stream and what is known of it.

    Attributes:
        stream: Positioned at ``start``; every read of the upload is relative to it.
        start: Where the bytes to upload begin in ``stream``.
        size: How many bytes there are from ``start``.
        name: The default filename (the path's or file object's basename), if any.
    """

    stream: IO[bytes]
    start: int
    size: int
    name: str | None
    lock: threading.Lock = field(default_factory=threading.Lock, compare=False, repr=False)

    def slice(self, offset: int = 0, length: int | None = None) -> Slice:
        """A rewindable reader over ``length`` bytes from ``offset`` (relative to ``start``)."""
        remaining = self.size - offset
        length = remaining if length is None else min(length, remaining)
        return Slice(self.stream, self.start + offset, length, self.lock)


@contextmanager
def open_source(file: FileSource) -> Iterator[Opened]:
    """Open ``file`` for reading (a path is closed again afterwards; a file object is not).

    Raises:
        FileReadError: A path could not be opened or read.
        InvalidArgumentError: ``file`` is a text-mode file object, or not a source at all.
    """
    if isinstance(file, bytes | bytearray | memoryview):
        data = bytes(file)
        yield Opened(io.BytesIO(data), 0, len(data), None)
        return
    if isinstance(file, str | os.PathLike):
        path = os.fspath(file)
        try:
            stream = open(path, "rb")  # noqa: SIM115 - closed below, after the upload
        except OSError as err:
            raise FileReadError.from_os_error(path, err) from err
        with stream:
            size = _remaining_size(stream, path)
            yield Opened(stream, 0, size, os.path.basename(path))
        return
    if not hasattr(file, "read"):
        raise InvalidArgumentError(
            f"cannot upload a {type(file).__name__}: pass a path, bytes, or a file opened in binary mode ('rb')"
        )
    name = getattr(file, "name", None)
    default_name = os.path.basename(name) if isinstance(name, str) else None
    if isinstance(file, io.TextIOBase):
        raise InvalidArgumentError("the file object is in text mode: open the file in binary mode ('rb')")
    if _seekable(file):
        start = file.tell()
        yield Opened(file, start, _remaining_size(file, default_name or "the stream"), default_name)
        return
    with tempfile.SpooledTemporaryFile(max_size=SPOOL_MEMORY_LIMIT) as spool:
        _copy(file, spool)
        size = spool.tell()
        spool.seek(0)
        yield Opened(spool, 0, size, default_name)


def digest(opened: Opened) -> str:
    """The SHA-256 (hex) of the bytes of ``opened``, read in 1 MiB chunks."""
    sha256 = hashlib.sha256()
    reader = opened.slice()
    while chunk := reader.read(CHUNK_SIZE):
        sha256.update(chunk)
    return sha256.hexdigest()


def digest_parts(opened: Opened, part_size: int) -> tuple[str, list[str]]:
    """The SHA-256 of the whole and of each ``part_size`` part, in one read of the bytes.

    The two hashes are updated in parallel (hashlib releases the GIL on large buffers),
    so the pass costs about one SHA-256, not two.

    Returns:
        The whole file's hex digest and each part's, in order.
    """
    whole = hashlib.sha256()
    parts: list[str] = []
    reader = opened.slice()
    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="scalper-hash") as helper:
        part = hashlib.sha256()
        in_part = 0
        while chunk := reader.read(min(HASH_CHUNK_SIZE, part_size - in_part)):
            updating = helper.submit(part.update, chunk)
            whole.update(chunk)
            updating.result()
            in_part += len(chunk)
            if in_part == part_size:
                parts.append(part.hexdigest())
                part, in_part = hashlib.sha256(), 0
        if in_part or not parts:
            parts.append(part.hexdigest())
    return whole.hexdigest(), parts


class Slice:
    """A rewindable, length-aware reader over part of a binary stream.

    ``requests`` sends it with ``Content-Length: len(slice)`` (never chunked) and reads
    it in blocks, so a part is never held whole in memory. Slices of one real file read
    with ``os.pread`` and can be read from several threads at once; other streams are
    read under a lock.

    Args:
        stream: The stream to read from.
        offset: Where the slice starts in ``stream``.
        length: How many bytes it holds.
        lock: Held around seek + read when the stream is not a plain file.
    """

    def __init__(self, stream: IO[bytes], offset: int, length: int, lock: threading.Lock) -> None:
        self._stream = stream
        self._offset = offset
        self._length = length
        self._position = 0
        self._fd = _fileno(stream)
        self._lock = lock

    def __len__(self) -> int:
        return self._length - self._position

    def tell(self) -> int:
        """Always 0: ``len()`` already counts only what is left (``requests`` subtracts this)."""
        return 0

    def read(self, size: int = -1) -> bytes:
        """Read up to ``size`` bytes (all that is left when negative)."""
        left = self._length - self._position
        if size < 0 or size > left:
            size = left
        if size == 0:
            return b""
        where = self._offset + self._position
        if self._fd is not None:
            data = os.pread(self._fd, size, where)
        else:
            with self._lock:
                self._stream.seek(where)
                data = self._stream.read(size)
        if isinstance(data, str):
            raise InvalidArgumentError("the file object is in text mode: open the file in binary mode ('rb')")
        if not data:
            raise FileReadError(getattr(self._stream, "name", "the stream"), "the file got shorter while uploading")
        self._position += len(data)
        return data

    def rewind(self) -> None:
        """Go back to the first byte, to send the slice again."""
        self._position = 0


def expand_paths(sources: PathSource | Iterable[PathSource], *, recursive: bool = False) -> list[Path]:
    """Turn files, directories and glob patterns into the list of files to upload.

    A directory gives its files (with ``recursive``, those of its subdirectories too),
    sorted, skipping hidden names (starting with ``.``). A pattern (``*``, ``?``,
    ``[...]``; ``**`` with ``recursive``) that is not itself an existing path gives the
    files it matches. Anything else is kept as it is, so that a missing file is
    reported for that file, not for the whole run.
    """
    items: Iterable[PathSource] = [sources] if isinstance(sources, str | os.PathLike) else sources
    files: list[Path] = []
    for item in items:
        path = Path(item)
        text = os.fspath(item)
        if path.is_dir():
            files.extend(_walk(path, recursive))
        elif not path.exists() and _GLOB_CHARS & set(text):
            matches = sorted(glob.glob(text, recursive=recursive))
            for match in matches:
                matched = Path(match)
                files.extend(_walk(matched, recursive) if matched.is_dir() else [matched])
            if not matches:
                files.append(path)
        else:
            files.append(path)
    return list(dict.fromkeys(files))


def _walk(directory: Path, recursive: bool) -> list[Path]:
    found: list[Path] = []
    try:
        entries = sorted(directory.iterdir())
    except OSError as err:
        raise FileReadError.from_os_error(str(directory), err) from err
    for entry in entries:
        if entry.name.startswith("."):
            continue
        if entry.is_dir():
            if recursive:
                found.extend(_walk(entry, recursive))
        elif entry.is_file():
            found.append(entry)
    return found


def _remaining_size(stream: IO[bytes], name: str) -> int:
    try:
        start = stream.tell()
        end = stream.seek(0, os.SEEK_END)
        stream.seek(start)
    except OSError as err:
        raise FileReadError.from_os_error(name, err) from err
    return end - start


def _copy(source: IO[bytes], target: IO[bytes]) -> None:
    try:
        shutil.copyfileobj(source, target, CHUNK_SIZE)
    except TypeError as err:
        raise InvalidArgumentError("the file object is in text mode: open the file in binary mode ('rb')") from err


def _seekable(file: IO[bytes]) -> bool:
    try:
        return bool(file.seekable())
    except (AttributeError, ValueError):
        return False


def _fileno(stream: IO[bytes]) -> int | None:
    """The descriptor of a plain file, for positional reads; ``None`` for anything else."""
    if not isinstance(stream, io.BufferedReader | io.FileIO):
        return None
    try:
        return stream.fileno()
    except (OSError, ValueError):
        return None
