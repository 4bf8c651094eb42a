"""The quarantine reason codes of ``docs/api.md``, and building bounded `Reason`s.

The codes are part of the public API: clients branch on them, so they never change
spelling. Messages are for people; they may carry line numbers, counts and (cut) column
names, but never the file's values.

Every text that comes from the input and may reach a record, a log or an alert is bounded
here, in one place: a message is at most `MAX_MESSAGE_CHARS` characters, a name in a
message or a location at most `NAME_SHOWN`, and a verdict carries at most `MAX_REASONS`
reasons (`cap_reasons`). A file record must stay far below DynamoDB's 400 KB item limit
whatever the file holds: 20 reasons of 500 characters are 10 KB.
"""

from __future__ import annotations

from collections.abc import Sequence
from enum import StrEnum

from scalper_inspection.errors import BadTextError, NulByteError
from scalper_inspection.types import Location, Reason


class ReasonCode(StrEnum):
    """Every ``reasons[].code`` a quarantined file can carry (see ``docs/api.md``)."""

    EMPTY_FILE = "empty_file"
    SIZE_MISMATCH = "size_mismatch"
    CHECKSUM_MISMATCH = "checksum_mismatch"
    TYPE_MISMATCH = "type_mismatch"
    INVALID_ENCODING = "invalid_encoding"
    CSV_NO_HEADER = "csv_no_header"
    CSV_RAGGED_ROWS = "csv_ragged_rows"
    CSV_NO_ROWS = "csv_no_rows"
    CSV_MALFORMED = "csv_malformed"
    JSON_MALFORMED = "json_malformed"
    JSON_WRONG_SHAPE = "json_wrong_shape"
    JSON_NUMBER_UNREPRESENTABLE = "json_number_unrepresentable"
    DICOM_INVALID = "dicom_invalid"
    DICOM_MALFORMED = "dicom_malformed"
    DICOM_MISSING_TAG = "dicom_missing_tag"
    DICOM_BAD_VALUE = "dicom_bad_value"
    # Rule failures: the partner's rules (see `rules`) forbid what the file holds.
    TYPE_NOT_ALLOWED = "type_not_allowed"
    SIZE_OVER_LIMIT = "size_over_limit"
    CSV_MISSING_COLUMN = "csv_missing_column"
    CSV_BAD_VALUE = "csv_bad_value"
    CSV_FORMULA_CELLS = "csv_formula_cells"
    JSON_SCHEMA_MISMATCH = "json_schema_mismatch"
    DICOM_MODALITY_NOT_ALLOWED = "dicom_modality_not_allowed"
    # The last reason of a verdict that found more than `MAX_REASONS`.
    REASONS_TRUNCATED = "reasons_truncated"


# How many examples (row numbers, item numbers...) a message lists before "and N more".
EXAMPLES_SHOWN = 5
# Names (column names, JSON keys, field paths) are cut to this many characters.
NAME_SHOWN = 40
# A message is cut to this many characters, whatever built it.
MAX_MESSAGE_CHARS = 500
# A verdict lists at most this many reasons; the last says how many more there were.
MAX_REASONS = 20
_ELLIPSIS = "..."


def reason(code: ReasonCode, message: str, location: Location | None = None) -> Reason:
    """Build a bounded `Reason` from a code of this package.

    Args:
        code: the stable machine code.
        message: one human sentence; no file values beyond cut column names. Cut to
            `MAX_MESSAGE_CHARS` characters.
        location: where the problem is (its names are cut with `cut_name`).

    Returns:
        The frozen `Reason` model shared with the backend and the SDK.
    """
    if len(message) > MAX_MESSAGE_CHARS:
        message = message[: MAX_MESSAGE_CHARS - len(_ELLIPSIS)] + _ELLIPSIS
    return Reason(code=code.value, message=message, location=location)


def at(
    *, line: int | None = None, record: int | None = None, column: str | None = None, field: str | None = None
) -> Location:
    """Build a `Location`, cutting a column name or field path to `NAME_SHOWN` characters."""
    return Location(
        line=line,
        record=record,
        column=None if column is None else cut_name(column),
        field=None if field is None else cut_name(field),
    )


def cap_reasons(reasons: Sequence[Reason]) -> tuple[Reason, ...]:
    """Keep at most `MAX_REASONS` reasons, the last saying how many were left out.

    Args:
        reasons: every reason found, in order.

    Returns:
        The reasons, or the first ``MAX_REASONS - 1`` and a ``reasons_truncated`` one.
    """
    if len(reasons) <= MAX_REASONS:
        return tuple(reasons)
    kept = reasons[: MAX_REASONS - 1]
    hidden = len(reasons) - len(kept)
    more = reason(ReasonCode.REASONS_TRUNCATED, f"{plural(hidden, 'more reason')} were found and not listed.")
    return (*kept, more)


def plural(count: int, noun: str, plural_noun: str | None = None) -> str:
    """Say ``"1 row"`` or ``"3 rows"``; thousands are grouped so big counts stay readable.

    Args:
        count: how many.
        noun: the singular noun.
        plural_noun: the plural when it is not ``noun + "s"``.

    Returns:
        The count and the noun that agrees with it.
    """
    word = noun if count == 1 else (plural_noun or f"{noun}s")
    return f"{count:,} {word}"


def agree(count: int, one: str, many: str) -> str:
    """Pick the wording that agrees with a count, e.g. ``agree(n, "is", "are")``.

    Args:
        count: how many.
        one: the wording for exactly one.
        many: the wording for any other count.

    Returns:
        `one` or `many`.
    """
    return one if count == 1 else many


def examples(items: list[str], total: int) -> str:
    """Join the first examples of a problem, noting how many more were not listed.

    Args:
        items: at most `EXAMPLES_SHOWN` short descriptions, e.g. ``"line 3 (2 fields)"``.
        total: how many occurrences there were in all.

    Returns:
        ``"line 3, line 9"`` or ``"line 3, line 9, ... and 12 more"``.
    """
    joined = ", ".join(items)
    hidden = total - len(items)
    return f"{joined} and {hidden:,} more" if hidden > 0 else joined


def quote_name(name: str) -> str:
    """Quote a column name or JSON key for a message, cut to `NAME_SHOWN` characters.

    Args:
        name: the name as parsed.

    Returns:
        ``repr`` of the (possibly shortened) name: quoted, with control characters escaped.
    """
    return repr(cut_name(name))


def cut_name(name: str) -> str:
    """Cut a name to `NAME_SHOWN` characters, marking the cut with ``...``."""
    return name if len(name) <= NAME_SHOWN else name[:NAME_SHOWN] + _ELLIPSIS


def bad_text_reason(err: BadTextError) -> Reason:
    """Describe text that is not UTF-8, or that holds a NUL byte.

    Args:
        err: where the first bad byte is.

    Returns:
        An ``invalid_encoding`` reason with the line and byte offset.
    """
    where = at(line=err.line)
    if isinstance(err, NulByteError):
        return reason(
            ReasonCode.INVALID_ENCODING,
            f"The file holds a NUL byte on line {err.line:,} (byte offset {err.offset:,}): text files never "
            "contain one, so part of the file is binary data or corrupt.",
            where,
        )
    return reason(
        ReasonCode.INVALID_ENCODING,
        f"The file is not UTF-8 text: the first undecodable byte is on line {err.line:,} "
        f"(byte offset {err.offset:,}). Save it as UTF-8 and upload it again.",
        where,
    )
