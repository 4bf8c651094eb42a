"""Required columns and their types, from the partner's rules.

Values are checked, never rewritten: the output keeps each cell as the text it was
(``"007"`` stays ``"007"``, a 100-digit decimal keeps every digit), so a type rule can
refuse a file but never changes its data. Messages name the column and the lines, never
the value.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime

from scalper_inspection.reasons import EXAMPLES_SHOWN, ReasonCode, agree, at, examples, plural, quote_name, reason
from scalper_inspection.rules import ColumnRule, ColumnType
from scalper_inspection.types import Reason

_INTEGER = re.compile(r"[+-]?\d+")
_DECIMAL = re.compile(r"[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?")
_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
_BOOLEANS = frozenset({"true", "false", "1", "0"})
# ISO dates and times are a few dozen characters; parsing a longer cell would only waste time.
_MAX_DATE_CHARS = 64


def _is_date(value: str) -> bool:
    if not _DATE.fullmatch(value):
        return False
    try:
        date.fromisoformat(value)
    except ValueError:
        return False
    return True


def _is_datetime(value: str) -> bool:
    if len(value) > _MAX_DATE_CHARS or not _DATE.match(value):
        return False
    try:
        datetime.fromisoformat(value)
    except ValueError:
        return False
    return True


_CHECKS: dict[ColumnType, tuple[Callable[[str], bool], str]] = {
    "string": (lambda value: True, "text"),
    "integer": (lambda value: _INTEGER.fullmatch(value) is not None, "an integer"),
    "decimal": (lambda value: _DECIMAL.fullmatch(value) is not None, "a decimal number"),
    "date": (_is_date, "a date (YYYY-MM-DD)"),
    "datetime": (_is_datetime, "an ISO 8601 date and time"),
    "boolean": (lambda value: value.lower() in _BOOLEANS, "a boolean (true, false, 1 or 0)"),
}


@dataclass
class _Column:
    """One required column found in the header, and its failures so far."""

    name: str
    index: int
    rule: ColumnRule
    bad: int = 0
    first_line: int = 0
    places: list[str] = field(default_factory=list)

    def accepts(self, value: str) -> bool:
        if not value:
            return self.rule.allow_empty
        return _CHECKS[self.rule.type][0](value)


class ColumnChecks:
    """Checks the required columns of every row against the rules.

    Args:
        header: the header row.
        required: the rules' required columns.
    """

    def __init__(self, header: list[str], required: dict[str, ColumnRule]) -> None:
        positions = {name: index for index, name in reversed(list(enumerate(header)))}
        self.missing = [name for name in required if name not in positions]
        self._columns = [
            _Column(name, positions[name], rule)
            for name, rule in required.items()
            if name in positions and (rule.type != "string" or not rule.allow_empty)
        ]

    @property
    def active(self) -> bool:
        """True when some cell of every row must be checked."""
        return bool(self._columns)

    def check(self, row: list[str], line: int) -> None:
        """Check one full-width data row."""
        for column in self._columns:
            if not column.accepts(row[column.index]):
                column.bad += 1
                if column.bad == 1:
                    column.first_line = line
                if len(column.places) < EXAMPLES_SHOWN:
                    column.places.append(f"line {line:,}")

    def reasons(self, rows: int) -> list[Reason]:
        """One reason per missing column, then one per column with bad values."""
        found = [
            reason(
                ReasonCode.CSV_MISSING_COLUMN,
                f"The header has no column {quote_name(name)}, which your rules require.",
                at(line=1, column=name),
            )
            for name in self.missing
        ]
        for column in self._columns:
            if column.bad:
                expected = _CHECKS[column.rule.type][1]
                empty = "" if column.rule.allow_empty else "empty or "
                what = "empty" if column.rule.type == "string" else f"{empty}not {expected}"
                found.append(
                    reason(
                        ReasonCode.CSV_BAD_VALUE,
                        f"{plural(column.bad, 'row')} of {rows:,} {agree(column.bad, 'has', 'have')} a value in "
                        f"column {quote_name(column.name)} that is {what}: "
                        f"{examples(column.places, column.bad)}.",
                        at(line=column.first_line, column=column.name),
                    )
                )
        return found
