"""Exceptions that stop a parser early. They never escape `inspect_stream`.

They are raised deep inside the read path (possibly from within ``csv`` or ``ijson``
calling our ``read``) and caught by the rules modules, which turn them into reasons.

Exception tree::

    StopParsingError
    ├── InvalidUtf8Error       bytes that are not UTF-8 (-> invalid_encoding)
    └── RecordTooLargeError    one record spans more than Limits.max_record_bytes
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
