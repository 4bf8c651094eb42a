"""Cells a spreadsheet would execute as a formula ("CSV injection").

OWASP's CSV Injection guidance lists the characters that make Excel, LibreOffice Calc or
Google Sheets treat a cell as a formula when they start it: ``=``, ``+``, ``-``, ``@``, a
tab and a carriage return (``=cmd|' /C calc'!A0``, ``@SUM(...)``, ``\\t=...``).

One exception, on purpose: a cell that is a plain signed number (``-3.5``, ``+12``,
``-1e-3``) is not flagged. A spreadsheet reads it as the number it is, a constant in
which no function call or reference can hide, and lab values, temperatures and balances
are negative every day: flagging them would bury the real formulas in noise. Anything
else after a sign (``-1+1``, ``+A1``, ``-cmd|...``) is flagged, as is a lone ``=``.
A lone ``+`` or ``-`` is not: a sign alone is no formula, and exports use ``-`` for
"no value".

Checking every cell in Python would cost more than parsing the row, so the rows reader
first asks whether a chunk of the file can hold a formula at all (`might_hold_formulas`:
one ``bytes.translate`` and one substring search, both in C) and checks cells only in
rows read from such chunks.
"""

from __future__ import annotations

import re

_TRIGGERS = frozenset("=+-@\t\r")
_SIGNS = frozenset("+-")
_PLAIN_NUMBER = re.compile(r"[+-](?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?")
# Bytes are mapped to classes: S where a cell can start after it (a delimiter, an opening
# quote, a line break), T for a trigger, space for anything else. "ST" then marks every
# possible formula cell: a superset of the real ones (a quote can also close a cell, and
# CR is both), which is all a pre-check needs.
_CLASSES = bytearray(b" " * 256)
for _byte in b'",\n':
    _CLASSES[_byte] = ord("S")
for _byte in b"=+-@\t":
    _CLASSES[_byte] = ord("T")
_CLASSES[ord("\r")] = ord("X")  # a line break and a trigger
_START_CLASSES = bytes(_CLASSES)
_MARKS = (b"ST", b"SX", b"XT", b"XX")


def might_hold_formulas(data: bytes, before: bytes) -> bool:
    """True unless no cell in these bytes can start with a formula trigger.

    Args:
        data: a chunk of the file.
        before: the byte just before the chunk (``b"\\n"`` at the start of the file).
    """
    classes = (before + data).translate(_START_CLASSES)
    return any(mark in classes for mark in _MARKS)


def is_formula(cell: str) -> bool:
    """Tell whether a spreadsheet would run this cell as a formula (see the module docstring)."""
    if not cell or cell[0] not in _TRIGGERS:
        return False
    if cell[0] in _SIGNS:
        return len(cell) > 1 and _PLAIN_NUMBER.fullmatch(cell) is None
    return True


def first_formula(row: list[str]) -> int | None:
    """The index of the first formula cell of a row, or None."""
    for index, cell in enumerate(row):
        if cell and cell[0] in _TRIGGERS and is_formula(cell):
            return index
    return None


def count_formulas(row: list[str]) -> int:
    """How many cells of a row are formulas."""
    return sum(1 for cell in row if cell and cell[0] in _TRIGGERS and is_formula(cell))
