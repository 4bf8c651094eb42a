"""Memory stays flat whatever the file size: ~64 MB files inspected under a 16 MB peak."""

from __future__ import annotations

import hashlib
import io
import tracemalloc
from collections.abc import Callable, Iterator

from scalper_inspection import ContentType, Declared, Inspection, inspect_stream

TARGET_BYTES = 64 * 1024 * 1024
PEAK_LIMIT = 16 * 1024 * 1024
# Long free-text notes keep the record count (and so the test's run time) moderate.
NOTE = b"stable overnight; reviewed by the duty nurse, observations every four hours " * 3


class GeneratedStream(io.RawIOBase):
    """A binary stream over generated pieces, holding at most one read's worth at a time."""

    def __init__(self, pieces: Iterator[bytes]) -> None:
        self._pieces = pieces
        self._buffer = b""

    def readable(self) -> bool:
        return True

    def read(self, size: int = -1) -> bytes:
        while len(self._buffer) < size:
            piece = next(self._pieces, b"")
            if not piece:
                break
            self._buffer += piece
        data, self._buffer = self._buffer[:size], self._buffer[size:]
        return data


class DiscardSink:
    """A sink that counts and forgets."""

    def __init__(self) -> None:
        self.written = 0

    def write(self, data: bytes) -> int:
        self.written += len(data)
        return len(data)


def csv_pieces() -> Iterator[bytes]:
    """A valid CSV of about `TARGET_BYTES`, in batches of rows."""
    yield b"patient_id,given_name,family_name,birth_date,clinic,note\n"
    produced, row = 0, 0
    while produced < TARGET_BYTES:
        batch = b"".join(
            b'P-%08d,Alma,Ferreira,1984-03-12,north,"follow-up in %d weeks, %s"\n' % (row + i, i % 12, NOTE)
            for i in range(2000)
        )
        row += 2000
        produced += len(batch)
        yield batch


def json_array_pieces() -> Iterator[bytes]:
    """A valid JSON array of objects of about `TARGET_BYTES`, pretty-printed one item per line."""
    yield b"[\n"
    produced, item = 0, 0
    while produced < TARGET_BYTES:
        batch = b"".join(
            b'  {"patient_id": "P-%08d", "heart_rate_bpm": %d, "temp_c": 36.%d, "note": "%s"},\n'
            % (item + i, 60 + i % 40, i % 10, NOTE)
            for i in range(2000)
        )
        item += 2000
        produced += len(batch)
        yield batch
    yield b'  {"patient_id": "last"}\n]\n'


def declared_for(pieces: Callable[[], Iterator[bytes]], content_type: ContentType) -> Declared:
    """Declare the generated file truthfully, hashing it in a first pass."""
    digest, size = hashlib.sha256(), 0
    for piece in pieces():
        digest.update(piece)
        size += len(piece)
    return Declared(size=size, sha256=digest.hexdigest(), content_type=content_type)


def inspect_traced(pieces: Callable[[], Iterator[bytes]], declared: Declared) -> tuple[Inspection, int]:
    """Inspect a generated file under tracemalloc and return the result and the peak."""
    tracemalloc.start()
    try:
        result = inspect_stream(GeneratedStream(pieces()), declared, DiscardSink())
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    return result, peak


def test_64mb_csv_is_inspected_in_bounded_memory() -> None:
    declared = declared_for(csv_pieces, "text/csv")
    result, peak = inspect_traced(csv_pieces, declared)
    assert result.ok, result.reasons
    assert result.size == declared.size >= TARGET_BYTES
    assert result.rows is not None and result.rows > 200_000
    assert peak < PEAK_LIMIT, f"peak {peak / 2**20:.1f} MiB"


def test_64mb_json_array_is_inspected_in_bounded_memory() -> None:
    declared = declared_for(json_array_pieces, "application/json")
    result, peak = inspect_traced(json_array_pieces, declared)
    assert result.ok, result.reasons
    assert result.size == declared.size >= TARGET_BYTES
    assert result.rows is not None and result.rows > 200_000
    assert peak < PEAK_LIMIT, f"peak {peak / 2**20:.1f} MiB"
