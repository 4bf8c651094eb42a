"""Tunable bounds of an inspection: how much is read at once and how big a record may be.

Every buffer in the package is sized from these numbers, which is what keeps memory flat
whatever the file size: a multi-gigabyte upload costs the same few megabytes as a small one.
"""

from __future__ import annotations

from dataclasses import dataclass

MIB = 1024 * 1024


@dataclass(frozen=True, slots=True)
class Limits:
    """Bounds applied while a file is inspected.

    Attributes:
        chunk_size: bytes pulled from the source per read (1 MiB by default). Larger chunks
            mean fewer S3 round trips; each layer of the stack buffers at most one chunk.
        sniff_size: bytes looked at up front to detect the type (64 KiB by default).
        max_record_bytes: the most input a single record (a CSV row, a JSON Lines line, an
            item of a JSON array, a whole single-object document) may span, checked at the
            granularity of a read. Records are the unit held in memory, so this bounds memory
            for adversarial files such as one endless line.
    """

    chunk_size: int = MIB
    sniff_size: int = 64 * 1024
    max_record_bytes: int = 16 * MIB

    def __post_init__(self) -> None:
        """Reject bounds that would make the reader loop or the sniffing meaningless."""
        if self.chunk_size < 1 or self.sniff_size < 1 or self.max_record_bytes < 1:
            raise ValueError("inspection limits must be positive")
