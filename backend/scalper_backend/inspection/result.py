"""The verdict of an inspection, as the processor records it."""

from __future__ import annotations

from dataclasses import dataclass

from scalper_backend.models import Reason


@dataclass(frozen=True, slots=True)
class Inspection:
    """What was found in one uploaded file.

    Attributes:
        reasons: every problem found, integrity first (size, checksum), then content in the
            order found. Empty when the file is valid.
        size: bytes read from the source, all of them, even after a problem was found.
        sha256: lower-case hex SHA-256 of those bytes.
        detected_type: ``empty``, ``csv``, ``json``, ``jsonl``, ``binary`` or a sniffed
            binary kind (``pdf``, ``png``, ``jpeg``, ``gzip``, ``zip``, ``dicom``).
        rows: records seen (CSV data rows, JSON objects); ``None`` when the content was
            never parsed (empty, binary, wrong type).
        columns: CSV header width, or the number of distinct top-level keys across JSON
            records (``None`` beyond a cap, or when not parsed).
        output_format: the format written to the sink, always ``"jsonl"``.
        output_size: bytes written to the sink; meaningful only when `ok`.
    """

    reasons: tuple[Reason, ...]
    size: int
    sha256: str
    detected_type: str
    rows: int | None
    columns: int | None
    output_format: str
    output_size: int

    @property
    def ok(self) -> bool:
        """True when no reason was found and the sink holds the normalised output."""
        return not self.reasons


@dataclass(frozen=True, slots=True)
class ContentFindings:
    """What a format's rules found in the content; the pipeline adds the integrity checks.

    Attributes:
        reasons: content reasons in the order found.
        detected_type: ``csv``, ``json`` or ``jsonl``.
        rows: records seen.
        columns: header width or distinct keys, when known.
    """

    reasons: tuple[Reason, ...]
    detected_type: str
    rows: int | None
    columns: int | None
