"""Upload state kept between runs: what finished, and how far multipart uploads got.

Behind a small storage interface (as tus-py keeps its upload URLs), so a caller can
keep it where it likes: :class:`MemoryJournal` (this process only) or
:class:`FileJournal` (a JSON-lines file that survives Ctrl-C, SIGKILL and reboots).

Entries are keyed by :func:`journal_key`: who uploads (a non-secret fingerprint of the
credentials), where to (the endpoint), and which local file (real path, size and
modification time, plus the declared filename), so that a changed file is never taken
for the one that was uploaded.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import logging
import os
import threading
import time
from pathlib import Path
from typing import IO, Any, Protocol, runtime_checkable

__all__ = ["FileJournal", "Journal", "MemoryJournal", "journal_key"]

logger = logging.getLogger("silent_scalper")

# Entries not touched for this long are dropped when a journal file is compacted.
MAX_ENTRY_AGE_S = 30 * 24 * 3600


@runtime_checkable
class Journal(Protocol):
    """Where upload state is kept: a thread-safe mapping of keys to JSON objects."""

    def get(self, key: str) -> dict[str, Any] | None:
        """The entry stored under ``key``, or ``None``."""
        ...

    def set(self, key: str, value: dict[str, Any]) -> None:
        """Store ``value`` (JSON-serialisable) under ``key``, replacing any entry."""
        ...

    def remove(self, key: str) -> None:
        """Forget ``key`` (nothing happens if it is unknown)."""
        ...


class MemoryJournal:
    """A journal that lives as long as the process: resumes within one run only."""

    def __init__(self) -> None:
        self._entries: dict[str, dict[str, Any]] = {}
        self._lock = threading.Lock()

    def get(self, key: str) -> dict[str, Any] | None:
        with self._lock:
            return self._entries.get(key)

    def set(self, key: str, value: dict[str, Any]) -> None:
        with self._lock:
            self._entries[key] = value

    def remove(self, key: str) -> None:
        with self._lock:
            self._entries.pop(key, None)


class FileJournal:
    """A journal in a JSON-lines file: one line per change, the last one for a key wins.

    Each change is appended and flushed before the call returns, so a process killed
    at any moment (even with SIGKILL) loses at most the line it was writing, which is
    ignored when the file is read again. The file is rewritten without superseded and
    stale lines when it is opened. One process at a time should use a given file.

    Args:
        path: The file; it and its directory are created if needed (mode 0600: it
            holds file ids and local paths, never credentials or contents).
    """

    def __init__(self, path: str | os.PathLike[str]) -> None:
        self.path = Path(path)
        self._lock = threading.Lock()
        self._entries = self._load()
        self._compact()
        self._file: IO[str] = self._open_for_append()

    def get(self, key: str) -> dict[str, Any] | None:
        with self._lock:
            entry = self._entries.get(key)
            return None if entry is None else entry["v"]

    def set(self, key: str, value: dict[str, Any]) -> None:
        self._write({"k": key, "v": value, "t": round(time.time())})

    def remove(self, key: str) -> None:
        with self._lock:
            known = key in self._entries
        if known:
            self._write({"k": key, "v": None, "t": round(time.time())})

    def close(self) -> None:
        """Close the file; the journal cannot be written afterwards."""
        with self._lock:
            self._file.close()

    def __enter__(self) -> FileJournal:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def _write(self, line: dict[str, Any]) -> None:
        text = json.dumps(line, separators=(",", ":")) + "\n"
        with self._lock:
            self._file.write(text)
            self._file.flush()
            if line["v"] is None:
                self._entries.pop(line["k"], None)
            else:
                self._entries[line["k"]] = line

    def _load(self) -> dict[str, dict[str, Any]]:
        entries: dict[str, dict[str, Any]] = {}
        try:
            text = self.path.read_text(encoding="utf-8")
        except FileNotFoundError:
            return entries
        for number, raw in enumerate(text.splitlines(), start=1):
            try:
                line = json.loads(raw)
                key, value = line["k"], line["v"]
            except (ValueError, KeyError, TypeError):
                # A line cut short by a kill, or garbage: skip it, keep the rest.
                logger.warning("journal %s: ignoring unreadable line %d", self.path, number)
                continue
            if value is None:
                entries.pop(key, None)
            else:
                entries[key] = line
        return entries

    def _compact(self) -> None:
        oldest = time.time() - MAX_ENTRY_AGE_S
        self._entries = {k: line for k, line in self._entries.items() if line.get("t", 0) >= oldest}
        self.path.parent.mkdir(parents=True, exist_ok=True)
        temporary = self.path.with_name(self.path.name + ".tmp")
        with _private_file(temporary, "w") as out:
            for line in self._entries.values():
                out.write(json.dumps(line, separators=(",", ":")) + "\n")
        os.replace(temporary, self.path)

    def _open_for_append(self) -> IO[str]:
        return _private_file(self.path, "a")


def _private_file(path: Path, mode: str) -> IO[str]:
    flags = os.O_WRONLY | os.O_CREAT | (os.O_APPEND if mode == "a" else os.O_TRUNC)
    descriptor = os.open(path, flags, 0o600)
    try:
        return os.fdopen(descriptor, mode, encoding="utf-8")
    except BaseException:
        with contextlib.suppress(OSError):
            os.close(descriptor)
        raise


def journal_key(*, scope: str, endpoint: str, path: str, size: int, mtime_ns: int, filename: str) -> str:
    """The key of one local file's upload (a digest: the journal holds no path twice)."""
    real = os.path.realpath(path)
    text = "\0".join((scope, endpoint, real, str(size), str(mtime_ns), filename))
    return hashlib.sha256(text.encode("utf-8", "surrogateescape")).hexdigest()
