"""The package's errors: one public error for a bad rules file, and the internal stops.

`RulesError` is raised by `rules.load_rules` and `rules.RulesBook` for a rules file that
cannot be used; the caller (a deploy, a test, an operator's check) must fix the file.

The stops are raised deep inside the read path (possibly from within ``csv`` calling our
iterator) and caught by the format validators, which turn them into reasons. They never
escape `inspect_stream`.

Exception tree::

    InspectionError
    └── RulesError             a rules file that cannot be used
    StopParsingError
    ├── BadTextError           text that is not valid (-> invalid_encoding)
    │   ├── InvalidUtf8Error   bytes that are not UTF-8
    │   └── NulByteError       a NUL byte, which no text file contains
    ├── RecordTooLargeError    one record spans more than Limits.max_record_bytes
    └── NestingTooDeepError    JSON nested deeper than Limits.max_depth (-> json_malformed)
"""

from __future__ import annotations

import traceback


def exception_fields(err: BaseException, *, message_is_ours: bool = False) -> dict[str, str | None]:
    """Log fields for an exception: its type and stack, and its message only when we wrote it.

    A library's message can quote the data it choked on (a decode error quotes the bad
    characters), so it is left out unless ``message_is_ours``.
    """
    return {
        "error_type": type(err).__name__,
        "error": str(err) if message_is_ours else None,
        "stack": "".join(traceback.format_tb(err.__traceback__)),
    }


class InspectionError(Exception):
    """Root of the package's public errors."""


class RulesError(InspectionError):
    """A rules file (or a profile in it) cannot be used; the message says where and why."""


class StopParsingError(Exception):
    """Base of the internal stops: parsing cannot go on, but the bytes must still be drained."""


class BadTextError(StopParsingError):
    """The text holds a byte that text may not hold.

    Attributes:
        offset: byte offset of the byte in the file.
        line: 1-based line of that byte.
    """

    def __init__(self, offset: int, line: int) -> None:
        super().__init__(f"bad text byte at offset {offset} (line {line})")
        self.offset = offset
        self.line = line


class InvalidUtf8Error(BadTextError):
    """The text is not UTF-8 (`offset` is the first undecodable byte)."""


class NulByteError(BadTextError):
    """The text holds a NUL byte past the sniffed window (`offset` is the first one)."""


class RecordTooLargeError(StopParsingError):
    """A single record spans more input than the configured limit.

    Attributes:
        limit: the limit that was exceeded, in bytes (characters for CSV).
    """

    def __init__(self, limit: int) -> None:
        super().__init__(f"record larger than {limit} bytes")
        self.limit = limit


class NestingTooDeepError(StopParsingError):
    """JSON arrays and objects are nested deeper than the configured limit.

    Attributes:
        position: where, in the scanner's buffer, the bracket one level too deep is.
    """

    def __init__(self, position: int) -> None:
        super().__init__("nested too deep")
        self.position = position
