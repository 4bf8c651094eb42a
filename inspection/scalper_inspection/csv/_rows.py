"""CSV rules: a unique, non-empty header, rows as wide as the header, at least one row;
plus the partner's required columns and formula-cell policy.

Decisions worth knowing:

* Blank lines (anywhere, including leading and trailing ones) are skipped, as
  `csv.DictReader` does; a line holding only whitespace counts as blank.
* Line numbers in messages are 1-based physical lines with the header on line 1; a row
  whose quoted field spans lines is reported at the line where it starts.
* Parsing is strict (``csv.reader(strict=True)``): an unterminated quote or text after a
  closing quote is ``csv_malformed`` rather than silently repaired.
* After ``csv_malformed`` or ``invalid_encoding`` parsing stops, and ``csv_no_rows`` is not
  claimed, because rows may exist past the point of failure.
* One field may be as long as the whole row: `Limits.max_record_bytes` is the only length
  bound. The ``csv`` module's own field limit (128 Ki characters by default) is raised
  to match, see `_allow_fields_up_to`.
* Values are written as the text they were (every value is a JSON string).
"""

from __future__ import annotations

import csv
import io
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field

from scalper_inspection._output import OutputWriter
from scalper_inspection.csv._columns import ColumnChecks
from scalper_inspection.csv._formulas import count_formulas, first_formula, might_hold_formulas
from scalper_inspection.errors import BadTextError, RecordTooLargeError
from scalper_inspection.limits import Limits
from scalper_inspection.reasons import (
    EXAMPLES_SHOWN,
    ReasonCode,
    agree,
    at,
    bad_text_reason,
    examples,
    plural,
    quote_name,
    reason,
)
from scalper_inspection.rules import Rules
from scalper_inspection.types import Findings, FormulaCells, Location, Reason


class _Lines:
    """Feeds `csv.reader` one line at a time without ever holding more than one record.

    Text arrives in chunks; each chunk is split into lines at C speed (``io.StringIO``
    with ``newline=""`` splits exactly where `csv` expects: at ``\\n``, ``\\r\\n`` and a
    lone ``\\r``), and an unfinished last line is carried into the next chunk. A record
    (all the lines one CSV row spans) may use at most `limit` characters.
    """

    def __init__(self, chunks: Iterator[tuple[bytes, str]], limit: int) -> None:
        self._chunks = chunks
        self._limit = limit
        # Characters of the current record so far; a one-item list, so that the rows loop
        # resets it with one subscript per row.
        self.used = [0]
        # Whether the lines of the current row came from text that might hold a formula.
        self.hint = False
        self._chunk_hint = False

    def __iter__(self) -> Iterator[str]:
        limit, used = self._limit, self.used
        carry = ""
        before = b"\n"
        for data, text in self._chunks:
            self._chunk_hint = might_hold_formulas(data, before)
            self.hint = self.hint or self._chunk_hint
            before = data[-1:]
            text = carry + text if carry else text
            if not text:
                continue
            lines = io.StringIO(text, newline="").readlines()
            carry = "" if lines[-1].endswith("\n") else lines.pop()
            if len(carry) > limit:
                raise RecordTooLargeError(limit)
            for line in lines:
                used[0] += len(line)
                if used[0] > limit:
                    raise RecordTooLargeError(limit)
                yield line
        if carry:
            used[0] += len(carry)
            if used[0] > limit:
                raise RecordTooLargeError(limit)
            yield carry

    def start_record(self) -> None:
        """Reset the budget and the formula hint: the previous record is complete."""
        self.used[0] = 0
        self.hint = self._chunk_hint


@dataclass
class _Scan:
    """Running tallies of one pass over the rows."""

    header: list[str] | None = None
    rows: int = 0
    ragged: int = 0
    ragged_examples: list[str] = field(default_factory=list)
    reasons: list[Reason] = field(default_factory=list)
    columns: ColumnChecks | None = None
    formulas: int = 0
    first_formula: Location | None = None


def inspect_csv(
    chunks: Iterator[tuple[bytes, str]], output: OutputWriter, limits: Limits, rules: Rules
) -> Findings:
    """Check CSV text and write each data row as a ``{column: value}`` record.

    Args:
        chunks: checked bytes with their text (UTF-8, no NUL), after any BOM.
        output: where records go.
        limits: the record-size bound.
        rules: required columns and the formula-cell policy.

    Returns:
        The content reasons found, with the row count, header width and formula cells.
    """
    _allow_fields_up_to(limits.max_record_bytes)
    lines = _Lines(chunks, limits.max_record_bytes)
    reader = csv.reader(lines, strict=True)
    scan = _Scan()
    completed = False
    last_line = 0
    header: list[str] = []
    width = -1  # no row matches before the header is known
    used, write = lines.used, output.record
    try:
        for row in reader:
            start_line, last_line = last_line + 1, reader.line_num
            # The common row, kept to a few operations: full width, nothing to check.
            if len(row) == width and not lines.hint and scan.columns is None:
                used[0] = 0
                scan.rows += 1
                write(dict(zip(header, row, strict=False)))  # lengths were just compared
                continue
            if not row or (len(row) == 1 and not row[0].strip()):
                lines.start_record()
                continue
            if scan.header is None:
                _take_header(scan, row, rules, lines.hint)
                header, width = row, len(row)
            elif _take_row(scan, row, start_line, lines.hint):
                write(dict(zip(header, row, strict=True)))
            lines.start_record()
        completed = True
    except csv.Error as err:
        scan.reasons.append(
            reason(
                ReasonCode.CSV_MALFORMED,
                f"The CSV cannot be parsed in the row starting at line {last_line + 1:,}: {err}.",
                at(line=last_line + 1),
            )
        )
    except RecordTooLargeError as err:
        scan.reasons.append(
            reason(
                ReasonCode.CSV_MALFORMED,
                f"The row starting at line {last_line + 1:,} is longer than the limit of {err.limit:,} characters.",
                at(line=last_line + 1),
            )
        )
    except BadTextError as err:
        scan.reasons.append(bad_text_reason(err))
    return _findings(scan, completed, rules)


def _allow_fields_up_to(limit: int) -> None:
    """Raise the ``csv`` module's field-length limit to at least `limit` characters.

    The limit is process-wide, so it is only ever raised, never lowered: lowering it for
    one inspection could break another user of ``csv`` in the process (or an inspection
    with larger limits). Raising it costs no safety here, because `_Lines` already stops
    any row longer than `limit` (and so any field in it) with a clear message, before the
    ``csv`` module's terse "field larger than field limit" could appear.
    """
    if csv.field_size_limit() < limit:
        csv.field_size_limit(limit)


def _take_header(scan: _Scan, row: list[str], rules: Rules, might_hold_formulas: bool) -> None:
    scan.header = row
    # A spreadsheet runs a formula in the header row as readily as in any other.
    index = first_formula(row) if might_hold_formulas else None
    if index is not None:
        scan.first_formula = at(line=1, column=row[index])
        scan.formulas = count_formulas(row[index:])
    problem = header_problem(row)
    if problem:
        scan.reasons.append(reason(ReasonCode.CSV_NO_HEADER, problem, at(line=1)))
    if rules.csv.required_columns:
        scan.columns = ColumnChecks(row, rules.csv.required_columns)
        if not scan.columns.active:
            scan.reasons.extend(scan.columns.reasons(0))
            scan.columns = None


def _take_row(scan: _Scan, row: list[str], line: int, might_hold_formulas: bool) -> bool:
    """Account for one data row; True when it is full width and should be written."""
    assert scan.header is not None
    scan.rows += 1
    if len(row) != len(scan.header):
        scan.ragged += 1
        if len(scan.ragged_examples) < EXAMPLES_SHOWN:
            scan.ragged_examples.append(f"line {line:,} ({plural(len(row), 'field')})")
        return False
    if might_hold_formulas:
        index = first_formula(row)
        if index is not None:
            if scan.first_formula is None:
                scan.first_formula = at(line=line, record=scan.rows, column=scan.header[index])
            scan.formulas += count_formulas(row[index:])
    if scan.columns is not None and scan.columns.active:
        scan.columns.check(row, line)
    return True


def _findings(scan: _Scan, completed: bool, rules: Rules) -> Findings:
    """Turn the tallies into reasons, in a stable order."""
    reasons = list(scan.reasons)
    if scan.header is None:
        if completed:
            reasons.insert(0, reason(ReasonCode.CSV_NO_HEADER, "The file has no header row.", at(line=1)))
        return Findings(tuple(reasons), "csv")
    width = len(scan.header)
    if scan.ragged:
        reasons.append(
            reason(
                ReasonCode.CSV_RAGGED_ROWS,
                f"{plural(scan.ragged, 'row')} of {scan.rows:,} {agree(scan.ragged, 'does', 'do')} not have "
                f"the header's "
                f"{plural(width, 'field')}: {examples(scan.ragged_examples, scan.ragged)}.",
            )
        )
    if completed and scan.rows == 0:
        reasons.append(reason(ReasonCode.CSV_NO_ROWS, "The file has a header row but no data rows."))
    if scan.columns is not None:
        reasons.extend(scan.columns.reasons(scan.rows))
    formulas = None
    if scan.first_formula is not None:
        formulas = FormulaCells(count=scan.formulas, first=scan.first_formula)
        if rules.formula_cells == "quarantine":
            reasons.append(
                reason(
                    ReasonCode.CSV_FORMULA_CELLS,
                    f"{plural(scan.formulas, 'cell')} would run as a spreadsheet formula (starting with =, +, -, @, "
                    f"a tab or a carriage return), the first on line {scan.first_formula.line:,} in column "
                    f"{quote_name(scan.first_formula.column or '')}; your rules quarantine such files.",
                    scan.first_formula,
                )
            )
    return Findings(tuple(reasons), "csv", scan.rows, width, formula_cells=formulas)


def header_problem(header: list[str]) -> str | None:
    """Describe what is wrong with a header row, if anything.

    Args:
        header: the column names as parsed.

    Returns:
        One sentence naming empty and duplicated columns (names cut to 40 characters),
        or None for a good header.
    """
    problems = []
    empty = [str(index) for index, name in enumerate(header, 1) if not name.strip()]
    if empty:
        problems.append(
            f"{'column' if len(empty) == 1 else 'columns'} "
            f"{examples(empty[:EXAMPLES_SHOWN], len(empty))} {'has' if len(empty) == 1 else 'have'} "
            "no name"
        )
    duplicated = [name for name, count in Counter(header).items() if count > 1 and name.strip()]
    if duplicated:
        names = [quote_name(name) for name in duplicated[:EXAMPLES_SHOWN]]
        problems.append(f"duplicated column names: {examples(names, len(duplicated))}")
    if not problems:
        return None
    return "The header row is not usable: " + "; ".join(problems) + "."
