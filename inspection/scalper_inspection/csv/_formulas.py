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
first asks whether a chunk of text can hold a formula at all (`might_hold_formulas`,
one C-level regex search per chunk) and checks cells only in rows read from such chunks.
"""

from __future__ import annotations

import re

_TRIGGERS = frozenset("=+-@\t\r")
_SIGNS = frozenset("+-")
_PLAIN_NUMBER = re.compile(r"[+-](?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?")
# A trigger where a cell can start: the start of a line, after a delimiter, or after
# an opening quote. A superset of the real cell starts (a quote can also close a cell),
# which is all a pre-check needs.
_CELL_START_TRIGGER = re.compile(r'(?:^|[,"])[=+\-@\t\r]', re.MULTILINE)


def might_hold_formulas(text: str) -> bool:
    """True unless no cell in this text can start with a formula trigger."""
    return _CELL_START_TRIGGER.search(text) is not None


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
