"""Exceptions that stop a parser early. They never escape `inspect_stream`.

They are raised deep inside the read path (possibly from within ``csv`` or ``ijson``
calling our ``read``) and caught by the rules modules, which turn them into reasons.

Exception tree::

    StopParsingError
    ├── InvalidUtf8Error       bytes that are not UTF-8 (-> invalid_encoding)
    ├── LoneSurrogateError     a JSON escape such as \\ud800 that is no character (-> invalid_encoding)
    ├── RecordTooLargeError    one record spans more than Limits.max_record_bytes
    ├── NestingTooDeepError    JSON nested deeper than Limits.max_depth (-> json_malformed)
    └── DuplicateKeyError      a JSON object with the same key twice (-> json_malformed)
"""

from __future__ import annotations


class StopParsingError(Exception):
    """Base of the internal stops: parsing cannot go on, but the bytes must still be drained."""


class InvalidUtf8Error(StopParsingError):
    """The text is not UTF-8.

    Attributes:
        offset: byte offset of the first undecodable byte in the file.
        line: 1-based line of that byte.
    """

    def __init__(self, offset: int, line: int) -> None:
        super().__init__(f"undecodable byte at offset {offset} (line {line})")
        self.offset = offset
        self.line = line


class RecordTooLargeError(StopParsingError):
    """A single record spans more input than the configured limit.

    Attributes:
        limit: the limit that was exceeded, in bytes (characters for CSV).
    """

    def __init__(self, limit: int) -> None:
        super().__init__(f"record larger than {limit} bytes")
        self.limit = limit


class LoneSurrogateError(StopParsingError):
    """A JSON string escapes half of a surrogate pair (``\\ud800``), which is no character.

    Attributes:
        escape: the escape as written, e.g. ``"\\ud800"`` (six ASCII characters, never content).
        line: 1-based line of the escape.
    """

    def __init__(self, escape: str, line: int) -> None:
        super().__init__(f"lone surrogate escape on line {line}")
        self.escape = escape
        self.line = line


class NestingTooDeepError(StopParsingError):
    """JSON arrays and objects are nested deeper than the configured limit.

    Attributes:
        limit: the deepest nesting allowed.
    """

    def __init__(self, limit: int) -> None:
        super().__init__(f"nested deeper than {limit} levels")
        self.limit = limit


class DuplicateKeyError(StopParsingError):
    """A JSON object holds the same key more than once, so one of its values would be lost.

    Attributes:
        key: the repeated key (a column name, not a value: it may appear in a message).
    """

    def __init__(self, key: str) -> None:
        super().__init__("duplicate key")
        self.key = key
