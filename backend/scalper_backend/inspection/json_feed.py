"""Feeding ijson line by line, and turning its errors into a line and column.

ijson's fast C backend (yajl) reports errors with a snippet of the offending text and no
absolute position. Quoting the snippet would leak file contents into a quarantine message,
so instead `LineFeeder` hands the parser at most one line per read and remembers where
that piece starts: the error is then on the piece's line, and yajl's fixed-width context
(the error always sits at character 41 of its second line) locates the column inside
the piece. Only yajl's own error summary, which is static text, reaches the message.

`LineFeeder` also enforces `Limits.max_record_bytes`: the read path is the only place that
runs while ijson builds one huge item, so that is where an oversized record is stopped.
And it checks the text for escaped lone surrogates (see `json_escapes`), which yajl
would otherwise silently replace.
"""

from __future__ import annotations

import io
from dataclasses import dataclass

from scalper_backend.inspection.json_escapes import SurrogateScanner
from scalper_backend.inspection.limits import Limits
from scalper_backend.inspection.stops import LoneSurrogateError, RecordTooLargeError

# UTF-8 continuation bytes: deleting them leaves one byte per character.
_CONTINUATION_BYTES = bytes(range(0x80, 0xC0))
# yajl renders CR and LF as spaces in its context line.
_NEWLINES_AS_SPACES = bytes.maketrans(b"\r\n", b"  ")
# yajl pads its context so the error sits at this index; it shows 30 bytes either side.
_ERROR_COLUMN = 40
_CONTEXT_SPAN = 30


def char_count(data: bytes) -> int:
    """Count the characters in UTF-8 bytes without decoding them."""
    return len(data.translate(None, _CONTINUATION_BYTES))


@dataclass(frozen=True, slots=True)
class SyntaxErrorAt:
    """A JSON syntax error, located.

    Attributes:
        summary: yajl's description, e.g. ``"invalid object key (must be a string)"``.
        line: 1-based line.
        column: 1-based column in characters, or None when it could not be pinned down.
    """

    summary: str
    line: int
    column: int | None

    def describe(self) -> str:
        """Say where and what, e.g. ``"line 3, column 9 (trailing garbage)"``."""
        where = f"line {self.line:,}" if self.column is None else f"line {self.line:,}, column {self.column:,}"
        return f"{where} ({self.summary})"


class LineFeeder:
    """A ``read(n)`` source for ijson that never returns more than one line at a time.

    Args:
        source: UTF-8-checked bytes.
        limits: chunk size and the per-record budget.
    """

    def __init__(self, source: io.RawIOBase, limits: Limits) -> None:
        self._source = source
        self._chunk_size = limits.chunk_size
        self._limit = limits.max_record_bytes
        self._buffer = b""
        self._pos = 0
        self._line = 1
        self._column = 1
        self._since_checkpoint = 0
        self._escapes = SurrogateScanner()
        self.piece = b""
        self.piece_line = 1
        self.piece_column = 1

    def read(self, size: int = -1) -> bytes:
        """Return the rest of the current line, capped at `size` bytes.

        Args:
            size: the most bytes wanted; ijson asks for 0 once to learn the stream type.

        Returns:
            Up to one line including its ``\\n``; ``b""`` at the end.

        Raises:
            RecordTooLargeError: the current record has used up its budget.
            LoneSurrogateError: the text escapes half of a surrogate pair.
        """
        if size == 0:
            return b""
        if self._pos >= len(self._buffer):
            self._buffer = self._source.read(self._chunk_size) or b""
            self._pos = 0
            if not self._buffer:
                self.piece = b""
                self.piece_line, self.piece_column = self._line, self._column
                self._check_escapes(b"", final=True)
                return b""
        stop = len(self._buffer) if size < 0 else min(len(self._buffer), self._pos + size)
        newline = self._buffer.find(b"\n", self._pos, stop)
        end = newline + 1 if newline >= 0 else stop
        piece = self._buffer[self._pos : end]
        self._pos = end
        self.piece, self.piece_line, self.piece_column = piece, self._line, self._column
        if newline >= 0:
            self._line += 1
            self._column = 1
        else:
            self._column += char_count(piece)
        self._since_checkpoint += len(piece)
        if self._since_checkpoint > self._limit:
            raise RecordTooLargeError(self._limit)
        self._check_escapes(piece, final=False)
        return piece

    def _check_escapes(self, piece: bytes, final: bool) -> None:
        """Stop at an escaped lone surrogate, before the parser mangles it."""
        lone = self._escapes.feed(piece, final)
        if lone is not None:
            raise LoneSurrogateError(lone, self.piece_line)

    def checkpoint(self) -> None:
        """Start a new record's budget: the parser has just completed one."""
        self._since_checkpoint = 0

    def locate(self, err: Exception) -> SyntaxErrorAt:
        """Place an ijson error on a line and column.

        Args:
            err: the ``ijson.JSONError`` raised while parsing from this feeder.

        Returns:
            The located error; the column is None when yajl's context was ambiguous.
        """
        raw = err.args[0] if err.args else b""
        message = raw if isinstance(raw, bytes) else str(raw).encode("utf-8", "replace")
        first, _, rest = message.partition(b"\n")
        summary = _summary(first.decode("utf-8", "replace"))
        if "premature EOF" in summary:
            return SyntaxErrorAt("the JSON ends before the value is complete", self._line, self._column)
        offset = _offset_in_piece(rest.partition(b"\n")[0], self.piece)
        if offset is None:
            return SyntaxErrorAt(summary, self.piece_line, None)
        # yajl's offset counts the byte it stopped on, so the culprit is the one before.
        index = max(offset - 1, 0)
        return SyntaxErrorAt(summary, self.piece_line, self.piece_column + char_count(self.piece[:index]))


def _summary(first_line: str) -> str:
    """Keep yajl's static description and drop anything else that might quote the input."""
    for prefix in ("parse error: ", "lexical error: "):
        if first_line.startswith(prefix):
            return first_line.removeprefix(prefix).strip().rstrip(".")
    return "syntax error"


def _offset_in_piece(context: bytes, piece: bytes) -> int | None:
    """Recover yajl's byte offset inside `piece` from its rendered context line.

    yajl writes ``40 - offset`` spaces and then the piece from its start when the offset
    is under 30, and otherwise 10 spaces and the 60 bytes around the offset. Indentation
    in the piece makes the padding ambiguous, so candidates are checked against the piece.
    """
    rendered = piece.translate(_NEWLINES_AS_SPACES)
    for offset in range(min(_CONTEXT_SPAN - 1, len(rendered)) + 1):
        expected = b" " * (_ERROR_COLUMN - offset) + rendered[: offset + _CONTEXT_SPAN]
        if context == expected:
            return offset
    padding = b" " * (_ERROR_COLUMN - _CONTEXT_SPAN)
    if not context.startswith(padding):
        return None
    snippet = context[len(padding) :]
    start = rendered.find(snippet)
    while start >= 0:
        offset = start + _CONTEXT_SPAN
        if offset <= len(rendered) and rendered[start : offset + _CONTEXT_SPAN] == snippet:
            return offset
        start = rendered.find(snippet, start + 1)
    return None
