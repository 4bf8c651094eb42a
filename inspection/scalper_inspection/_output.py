"""The outputs: UTF-8 JSON Lines encoded with orjson, or the original bytes passed through."""

from __future__ import annotations

from typing import Any, Protocol

import orjson

# Keys across records are counted for `Inspection.columns`; past this many distinct keys
# the set would grow with the file, so counting stops and `columns` becomes None.
MAX_TRACKED_KEYS = 1024
# Encoded lines are gathered and handed to the sink in writes of about this size: one
# `write` per record would cost more than encoding the record.
_FLUSH_BYTES = 256 * 1024
_LINE = orjson.OPT_APPEND_NEWLINE


class BinarySink(Protocol):
    """Anything with a binary ``write``: a temporary file, a BytesIO."""

    def write(self, data: bytes, /) -> object:
        """Write `data` in full."""
        ...


class NumberOutOfRangeError(ValueError):
    """A record holds a number the output cannot carry exactly (an integer beyond 64 bits)."""


class OutputWriter:
    """Writes records to a sink as JSON Lines (or passes bytes through) and keeps counts.

    orjson encodes a record several times faster than the standard library, produces the
    same compact UTF-8 (no ASCII escapes), and refuses what JSON cannot carry: NaN and
    infinities (which the parsers never produce) and integers beyond 64 bits.

    Args:
        sink: where the output goes; the caller owns and closes it.
        track_keys: count distinct top-level keys (JSON); CSV knows its header instead.
    """

    def __init__(self, sink: BinarySink, *, track_keys: bool = True) -> None:
        self._sink = sink
        self._pending: list[bytes] = []
        self._pending_size = 0
        self.records = 0
        self.bytes_written = 0
        self._keys: set[str] | None = set() if track_keys else None
        # What `sink.write` raised, if it did: an I/O fault, never a property of the file.
        self.failure: Exception | None = None

    @property
    def distinct_keys(self) -> int | None:
        """Distinct top-level keys across written records; None once past the cap."""
        return None if self._keys is None else len(self._keys)

    def record(self, record: dict[str, Any]) -> None:
        """Append one record as a line.

        Args:
            record: a JSON object (a dict with string keys).

        Raises:
            NumberOutOfRangeError: the record holds an integer beyond 64 bits.
            Exception: whatever ``sink.write`` raises, also kept in `failure`.
        """
        try:
            line = orjson.dumps(record, option=_LINE)
        except orjson.JSONEncodeError as err:
            raise NumberOutOfRangeError(type(err).__name__) from None
        self._pending.append(line)
        self._pending_size += len(line)
        self.records += 1
        if self._keys is not None:
            self._keys.update(record)
            if len(self._keys) > MAX_TRACKED_KEYS:
                self._keys = None
        if self._pending_size >= _FLUSH_BYTES:
            self.flush()

    def raw(self, data: bytes) -> None:
        """Pass bytes through unchanged (the output of a format that is stored as sent)."""
        self.flush()
        self._write(data)

    def flush(self) -> None:
        """Hand the gathered lines to the sink."""
        if self._pending:
            data = b"".join(self._pending)
            self._pending.clear()
            self._pending_size = 0
            self._write(data)

    def _write(self, data: bytes) -> None:
        try:
            self._sink.write(data)
        except Exception as err:
            self.failure = err
            raise
        self.bytes_written += len(data)
