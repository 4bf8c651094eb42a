"""Type detection from the first bytes of a file, before any parser runs.

Order of the checks, and why:

1. Magic numbers (PDF, PNG, JPEG, GZIP, ZIP, DICOM): these files are what clinics most
   often upload by mistake, and naming the kind makes the quarantine message actionable.
2. A UTF-16 or UTF-32 byte-order mark: that is text, just not UTF-8 (Excel's "Unicode
   text" export), so it is an encoding problem, not binary data, even though it has NULs.
3. Any NUL byte in the sniffed window: no CSV or JSON text contains one.
4. For text, whether the first non-blank line looks like the *other* text format
   (`looks_like_json`, `looks_like_csv`), which turns a confusing cascade of parse errors
   into one ``type_mismatch``.
"""

from __future__ import annotations

import csv
import json
import re
from dataclasses import dataclass

UTF8_BOM = b"\xef\xbb\xbf"

# (offset, magic bytes, detected_type, how to say it in a message)
_MAGIC: tuple[tuple[int, bytes, str, str], ...] = (
    (0, b"%PDF-", "pdf", "a PDF document"),
    (0, b"\x89PNG\r\n\x1a\n", "png", "a PNG image"),
    (0, b"\xff\xd8\xff", "jpeg", "a JPEG image"),
    (0, b"\x1f\x8b", "gzip", "a gzip archive"),
    (0, b"PK\x03\x04", "zip", "a ZIP archive (or an Office document)"),
    (0, b"PK\x05\x06", "zip", "an empty ZIP archive"),
    (128, b"DICM", "dicom", "a DICOM medical image"),
)

# UTF-32 first: its little-endian mark starts with UTF-16's.
_FOREIGN_BOMS: tuple[tuple[bytes, str], ...] = (
    (b"\xff\xfe\x00\x00", "UTF-32"),
    (b"\x00\x00\xfe\xff", "UTF-32"),
    (b"\xff\xfe", "UTF-16"),
    (b"\xfe\xff", "UTF-16"),
)

# An opening brace or bracket followed by what only JSON would put there.
_JSON_START = re.compile(r"^(?:\{\s*(?:\"|\}|$)|\[\s*(?:[\[\]{\"]|$))")


@dataclass(frozen=True, slots=True)
class Binary:
    """Bytes that are not text.

    Attributes:
        detected_type: ``binary`` or a specific kind such as ``png``.
        description: how to name it in a message, e.g. ``"a PNG image"``.
    """

    detected_type: str
    description: str


def sniff_binary(head: bytes) -> Binary | None:
    """Recognise binary content from the first bytes.

    Args:
        head: the first bytes of the file (a few KiB is plenty).

    Returns:
        What the bytes are, or None when they may be text.
    """
    for offset, magic, detected_type, description in _MAGIC:
        if head[offset : offset + len(magic)] == magic:
            return Binary(detected_type, description)
    if foreign_encoding(head) is None and b"\x00" in head:
        return Binary("binary", "binary data (it contains NUL bytes)")
    return None


def foreign_encoding(head: bytes) -> str | None:
    """Name the non-UTF-8 Unicode encoding announced by a byte-order mark, if any.

    Args:
        head: the first bytes of the file.

    Returns:
        ``"UTF-16"`` or ``"UTF-32"``, or None when there is no such mark.
    """
    for bom, name in _FOREIGN_BOMS:
        if head.startswith(bom):
            return name
    return None


def first_line(head: bytes, complete: bool) -> str | None:
    """Return the first non-blank line of the sniffed window, stripped.

    Args:
        head: the first bytes of the file, without a UTF-8 BOM.
        complete: True when `head` is the whole file.

    Returns:
        The line, or None when it does not end inside the window (so it cannot be judged
        from the window alone), is not UTF-8, or the window is blank.
    """
    start = 0
    while True:
        end = head.find(b"\n", start)
        if end < 0:
            if not complete:
                return None
            end = len(head)
        raw = head[start:end]
        if raw.strip():
            try:
                return raw.decode("utf-8").strip()
            except UnicodeDecodeError:
                return None
        if end >= len(head):
            return None
        start = end + 1


def looks_like_json(line: str) -> bool:
    """Tell whether a CSV file's first line is really the start of JSON.

    A CSV header never starts with ``{"``, ``[{`` or a lone bracket, and one that parses
    as a JSON object or array on its own is JSON by any reasonable reading.

    Args:
        line: the first non-blank line, stripped.

    Returns:
        True when the line is JSON-shaped.
    """
    if not line.startswith(("{", "[")):
        return False
    if _JSON_START.match(line):
        return True
    try:
        return isinstance(json.loads(line), dict | list)
    except RecursionError:
        return True  # brackets nested too deep for `json` to follow: JSON-shaped all the same
    except ValueError:
        return False


def looks_like_csv(line: str) -> bool:
    """Tell whether a JSON file's first line is really a CSV header.

    A JSON document whose first value is not an object or array is a single scalar, which
    can never be followed by a comma on the same line; so a line that does not start with
    ``{`` or ``[`` and splits into two or more comma-separated fields is not JSON at all.

    Args:
        line: the first non-blank line, stripped.

    Returns:
        True when the line is a plausible CSV row.
    """
    if line.startswith(("{", "[")):
        return False
    try:
        json.loads(line)
    except (ValueError, RecursionError):
        pass
    else:
        return False  # a valid scalar such as "a,b": JSON, just the wrong shape
    try:
        fields = next(csv.reader([line], strict=True))
    except (csv.Error, StopIteration):
        return False
    return len(fields) >= 2
