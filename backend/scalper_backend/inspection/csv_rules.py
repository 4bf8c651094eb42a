"""CSV rules: a unique, non-empty header, rows as wide as the header, at least one row.

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
"""

from __future__ import annotations

import csv
import io
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field

from scalper_backend.inspection.limits import Limits
from scalper_backend.inspection.output import RecordWriter
from scalper_backend.inspection.reasons import (
    EXAMPLES_SHOWN,
    ReasonCode,
    agree,
    examples,
    invalid_utf8_reason,
    plural,
    reason,
)
from scalper_backend.inspection.result import ContentFindings
from scalper_backend.inspection.stops import InvalidUtf8Error, RecordTooLargeError
from scalper_backend.models import Reason


class _BoundedLines(Iterator[str]):
    """Feeds `csv.reader` one line at a time without ever holding more than one record.

    Iterating a text file directly would read a line of any length into memory; here a
    record (all the lines one CSV row spans) may use at most `limit` characters.
    """

    def __init__(self, text: io.TextIOBase, limit: int) -> None:
        self._text = text
        self._limit = limit
        self._used = 0

    def __next__(self) -> str:
        line = self._text.readline(self._limit - self._used + 1)
        if not line:
            raise StopIteration
        self._used += len(line)
        if self._used > self._limit:
            raise RecordTooLargeError(self._limit)
        return line

    def start_record(self) -> None:
        """Reset the budget: the previous record is complete."""
        self._used = 0


@dataclass
class _CsvScan:
    """Running tallies of one pass over the rows."""

    header: list[str] | None = None
    rows: int = 0
    ragged: int = 0
    ragged_examples: list[str] = field(default_factory=list)
    reasons: list[Reason] = field(default_factory=list)


def inspect_csv(source: io.RawIOBase, writer: RecordWriter, limits: Limits) -> ContentFindings:
    """Check CSV text and write each data row as a ``{column: value}`` record.

    Args:
        source: UTF-8-checked bytes, positioned after any BOM.
        writer: where records go.
        limits: chunk and record-size bounds.

    Returns:
        The content reasons found, with the row count and header width.
    """
    _allow_fields_up_to(limits.max_record_bytes)
    text = io.TextIOWrapper(io.BufferedReader(source, buffer_size=limits.chunk_size), encoding="utf-8", newline="")
    lines = _BoundedLines(text, limits.max_record_bytes)
    reader = csv.reader(lines, strict=True)
    scan = _CsvScan()
    completed = False
    last_line = 0
    try:
        for row in reader:
            start_line, last_line = last_line + 1, reader.line_num
            lines.start_record()
            _take_row(scan, row, start_line, writer)
        completed = True
    except csv.Error as err:
        scan.reasons.append(
            reason(
                ReasonCode.CSV_MALFORMED,
                f"The CSV cannot be parsed in the row starting at line {last_line + 1}: {err}.",
            )
        )
    except RecordTooLargeError as err:
        scan.reasons.append(
            reason(
                ReasonCode.CSV_MALFORMED,
                f"The row starting at line {last_line + 1} is longer than the limit of {err.limit:,} characters.",
            )
        )
    except InvalidUtf8Error as err:
        scan.reasons.append(invalid_utf8_reason(err))
    return _findings(scan, completed)


def _allow_fields_up_to(limit: int) -> None:
    """Raise the ``csv`` module's field-length limit to at least `limit` characters.

    The limit is process-wide, so it is only ever raised, never lowered: lowering it for
    one inspection could break another user of ``csv`` in the process (or an inspection
    with larger limits). Raising it costs no safety here, because `_BoundedLines` already
    stops any row longer than `limit` (and so any field in it) with a clear message,
    before the ``csv`` module's terse "field larger than field limit" could appear.
    """
    if csv.field_size_limit() < limit:
        csv.field_size_limit(limit)


def _take_row(scan: _CsvScan, row: list[str], line: int, writer: RecordWriter) -> None:
    """Account for one parsed row: the header, a blank line, or a data row."""
    if not row or (len(row) == 1 and not row[0].strip()):
        return
    if scan.header is None:
        scan.header = row
        problem = header_problem(row)
        if problem:
            scan.reasons.append(reason(ReasonCode.CSV_NO_HEADER, problem))
        return
    scan.rows += 1
    if len(row) != len(scan.header):
        scan.ragged += 1
        if len(scan.ragged_examples) < EXAMPLES_SHOWN:
            scan.ragged_examples.append(f"line {line:,} ({plural(len(row), 'field')})")
        return
    writer.write(dict(zip(scan.header, row, strict=True)))


def _findings(scan: _CsvScan, completed: bool) -> ContentFindings:
    """Turn the tallies into reasons, in a stable order."""
    reasons = list(scan.reasons)
    if scan.header is None:
        if completed:
            reasons.insert(0, reason(ReasonCode.CSV_NO_HEADER, "The file has no header row."))
        return ContentFindings(tuple(reasons), "csv", None, None)
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
    return ContentFindings(tuple(reasons), "csv", scan.rows, width)


def header_problem(header: list[str]) -> str | None:
    """Describe what is wrong with a header row, if anything.

    Args:
        header: the column names as parsed.

    Returns:
        One sentence naming empty and duplicated columns, or None for a good header.
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
        names = [repr(name) for name in duplicated[:EXAMPLES_SHOWN]]
        problems.append(f"duplicated column names: {examples(names, len(duplicated))}")
    if not problems:
        return None
    return "The header row is not usable: " + "; ".join(problems) + "."
