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
        max_depth: the deepest JSON nesting of arrays and objects, counting the top-level
            array of an array file (64 by default). Nesting is the one cost that is not
            linear in size: the parser's path bookkeeping grows with depth for every value,
            and Python's `json` recurses per level. Real exports stay within a dozen or so
            levels (a FHIR bundle reaches about ten), so 64 leaves ample room for honest
            data while keeping far below the interpreter's recursion limit of 1,000.
        dicom_header_bytes: the prefix of a DICOM file its header is read from (8 MiB by
            default). The identifiers sit in the first groups of the header, a few KiB in;
            the bound keeps a hostile "header" from being read whole into memory.
    """

    chunk_size: int = MIB
    sniff_size: int = 64 * 1024
    max_record_bytes: int = 16 * MIB
    max_depth: int = 64
    dicom_header_bytes: int = 8 * MIB

    def __post_init__(self) -> None:
        """Reject bounds that would make the reader loop or the sniffing meaningless."""
        if min(self.chunk_size, self.sniff_size, self.max_record_bytes, self.max_depth, self.dicom_header_bytes) < 1:
            raise ValueError("inspection limits must be positive")
