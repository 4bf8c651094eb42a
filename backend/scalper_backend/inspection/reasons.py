"""The quarantine reason codes of ``docs/api.md`` and a helper to build a `Reason`.

The codes are part of the public API: clients branch on them, so they never change
spelling. Messages are for people; they may carry line numbers, counts and column names,
but never the file's contents.
"""

from __future__ import annotations

from enum import StrEnum

from scalper_backend.inspection.stops import InvalidUtf8Error, LoneSurrogateError
from scalper_backend.models import Reason


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


# How many examples (row numbers, item numbers...) a message lists before "and N more".
EXAMPLES_SHOWN = 5
# Names (column names, JSON keys) are cut to this many characters in a message.
NAME_SHOWN = 40


def reason(code: ReasonCode, message: str) -> Reason:
    """Build a `Reason` from a code of this package.

    Args:
        code: the stable machine code.
        message: one human sentence; no file contents beyond column names.

    Returns:
        The frozen `Reason` model shared with the rest of the backend.
    """
    return Reason(code=code.value, message=message)


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
    return repr(name if len(name) <= NAME_SHOWN else name[:NAME_SHOWN] + "...")


def invalid_utf8_reason(err: InvalidUtf8Error) -> Reason:
    """Describe text that is not UTF-8.

    Args:
        err: where the first undecodable byte is.

    Returns:
        An ``invalid_encoding`` reason with the line and byte offset.
    """
    return reason(
        ReasonCode.INVALID_ENCODING,
        f"The file is not UTF-8 text: the first undecodable byte is on line {err.line:,} "
        f"(byte offset {err.offset:,}). Save it as UTF-8 and upload it again.",
    )


def lone_surrogate_reason(err: LoneSurrogateError) -> Reason:
    """Describe a JSON escape of half a surrogate pair.

    Args:
        err: the escape (six ASCII characters, not file content) and its line.

    Returns:
        An ``invalid_encoding`` reason with the line and the escape.
    """
    return reason(
        ReasonCode.INVALID_ENCODING,
        f"On line {err.line:,}, an escaped lone surrogate ({err.escape}) is not valid Unicode: "
        "a surrogate escape must be half of a pair, such as \\ud83d\\ude00.",
    )
