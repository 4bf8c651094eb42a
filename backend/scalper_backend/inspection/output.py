"""The normalised output: UTF-8 JSON Lines, one compact object per line."""

from __future__ import annotations

import json
from typing import Any, Protocol

# Keys across records are counted for `Inspection.columns`; past this many distinct keys
# the set would grow with the file, so counting stops and `columns` becomes None.
MAX_TRACKED_KEYS = 1024

# One encoder for every record: `json.dumps` with options builds a new one per call.
_ENCODER = json.JSONEncoder(ensure_ascii=False, separators=(",", ":"), allow_nan=False)


class BinarySink(Protocol):
    """Anything with a binary ``write``: a temporary file, a BytesIO."""

    def write(self, data: bytes, /) -> object:
        """Write `data` in full."""
        ...


class NumberOutOfRangeError(ValueError):
    """A record holds a number JSON cannot carry (the parser produced inf or nan)."""


class RecordWriter:
    """Writes records to a sink as JSON Lines and keeps the counts the result reports.

    Args:
        sink: where the output goes; the caller owns and closes it.
    """

    def __init__(self, sink: BinarySink) -> None:
        self._sink = sink
        self.records = 0
        self.bytes_written = 0
        self._keys: set[str] | None = set()
        # What `sink.write` raised, if it did: an I/O fault, never a property of the file.
        self.failure: Exception | None = None

    @property
    def distinct_keys(self) -> int | None:
        """Distinct top-level keys across written records; None once past the cap."""
        return None if self._keys is None else len(self._keys)

    def write(self, record: dict[str, Any]) -> None:
        """Append one record as a line.

        Args:
            record: a JSON object (a dict with string keys).

        Raises:
            NumberOutOfRangeError: the record holds an infinite or NaN float, which JSON forbids.
            Exception: whatever ``sink.write`` raises, also kept in `failure`.
        """
        try:
            text = _ENCODER.encode(record)
        except ValueError as err:
            raise NumberOutOfRangeError(str(err)) from None
        line = (text + "\n").encode("utf-8")
        try:
            self._sink.write(line)
        except Exception as err:
            self.failure = err
            raise
        self.records += 1
        self.bytes_written += len(line)
        if self._keys is not None:
            self._keys.update(record)
            if len(self._keys) > MAX_TRACKED_KEYS:
                self._keys = None
