"""Streaming a top-level array (or one pretty-printed document) record by record.

Most records are found without scanning at all. JSON is read left to right, so a slice
of the text that parses whole as complete values ends where those values end in the full
text (a brace inside a string or a nested object just makes the slice fail). So orjson
is first handed a whole batch: the items up to the last closing brace of the next
`_BATCH_BYTES`, wrapped in brackets (`_quick_batch`); a batch of plain objects is proven
free of repeated keys, deep nesting and suspect numbers by counts over its text
(`batch_is_plain`). Failing that, orjson is handed one item, up to each of the next few
closing braces (`_quick_object`). Otherwise the scanner finds where the record ends and orjson parses it
(`parse_record`). The scanner uses two possessive regular expressions that never
backtrack: one skips everything up to the next bracket outside a string, the other spans
a scalar. Depth is counted bracket by bracket, so the cost is linear whatever the
nesting, and the buffer holds at most one record plus one chunk
(`Limits.max_record_bytes` bounds a record).

Structure between records (the commas, the closing bracket, nothing after it) is checked
here; everything inside a record is orjson's and the standard library's business.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import orjson

from scalper_inspection.errors import BadTextError, NestingTooDeepError, RecordTooLargeError
from scalper_inspection.json._records import Problem, batch_is_plain, check_parsed, parse_record
from scalper_inspection.json._shapes import RecordTally, malformed, too_large
from scalper_inspection.limits import Limits
from scalper_inspection.reasons import at, bad_text_reason
from scalper_inspection.types import Reason

# Anything but brackets and strings, or a whole string, then a bracket (group 1).
_TO_BRACKET = re.compile(rb'(?:[^"\[\]{}]++|"(?:[^"\\]++|\\[\s\S])*+")*+([\[\]{}])')
_SCALAR = re.compile(rb'"(?:[^"\\]++|\\[\s\S])*+"|[^\s,\[\]{}"]++')
_SPACE = re.compile(rb"[ \t\r\n]*+")
_OPENERS = b"[{"
_OPEN_OBJECT = ord("{")
# Closing braces tried by `_quick_object` before the scanner takes over.
_QUICK_TRIES = 4
# The text a batch of items spans at most.
_BATCH_BYTES = 256 * 1024
_CONTINUATION_BYTES = bytes(range(0x80, 0xC0))


class _Text:
    """The unread text: a buffer refilled from the chunks, with line and column bookkeeping.

    Lines are counted incrementally from a cursor that only moves forward, so finding
    the line of each record costs the bytes between two records, not the whole buffer.
    """

    def __init__(self, chunks: Iterator[bytes], limit: int) -> None:
        self._chunks = chunks
        self.limit = limit
        self.data = b""
        self.eof = False
        self._cursor = 0  # a position in data whose line is known
        self._cursor_line = 1
        self._column = 1  # character column of data[0]

    def more(self, keep_from: int) -> int:
        """Pull a chunk, dropping what precedes `keep_from`; returns how many bytes were dropped."""
        if self.eof:
            return 0
        line = self.line(keep_from)
        dropped = self.data[:keep_from]
        newline = dropped.rfind(b"\n")
        self._column = 1 + _chars(dropped[newline + 1 :]) if newline >= 0 else self._column + _chars(dropped)
        chunk = next(self._chunks, b"")
        self.data = self.data[keep_from:] + chunk
        self.eof = not chunk
        self._cursor, self._cursor_line = 0, line
        return keep_from

    def line(self, pos: int) -> int:
        """The line of a position at or after the last one asked about."""
        if pos < self._cursor:
            self._cursor, self._cursor_line = 0, self._cursor_line - self.data.count(b"\n", 0, self._cursor)
        self._cursor_line += self.data.count(b"\n", self._cursor, pos)
        self._cursor = pos
        return self._cursor_line

    def where(self, pos: int) -> tuple[int, int]:
        """The line and character column of a position in the buffer."""
        line = self.line(pos)
        newline = self.data.rfind(b"\n", 0, pos)
        if newline >= 0:
            return line, 1 + _chars(self.data[newline + 1 : pos])
        return line, self._column + _chars(self.data[:pos])

    def space(self, pos: int) -> int:
        """Skip whitespace from `pos`, refilling; returns the position of the next byte (or the end)."""
        while True:
            pos = _SPACE.match(self.data, pos).end()  # type: ignore[union-attr]
            if pos < len(self.data) or self.eof:
                return pos
            pos -= self.more(pos)


def _chars(data: bytes) -> int:
    """Count the characters in UTF-8 bytes without decoding them."""
    return len(data.translate(None, _CONTINUATION_BYTES))


def _quick_batch(text: _Text, start: int) -> tuple[int, list[Any]] | None:
    """The end and values of a run of plain objects, parsed by orjson in one call."""
    cut = text.data.rfind(b"}", start, start + _BATCH_BYTES)
    if cut < 0:
        return None
    raw = text.data[start : cut + 1]
    try:
        items = orjson.loads(b"[" + raw + b"]")
    except orjson.JSONDecodeError:
        return None
    return (cut + 1, items) if batch_is_plain(raw, items) else None


def _quick_object(text: _Text, start: int, max_depth: int) -> tuple[int, Any] | None:
    """The end and parse result of an object, if orjson finds it within a few braces."""
    if text.data[start] != _OPEN_OBJECT:
        return None
    end = start
    for _ in range(_QUICK_TRIES):
        end = text.data.find(b"}", end + 1)
        if end < 0 or end - start >= text.limit:
            return None
        raw = text.data[start : end + 1]
        if raw.count(b"{") + raw.count(b"[") > max_depth:
            return None  # the scanner stops deep nesting with a clear reason
        try:
            value = orjson.loads(raw)
        except orjson.JSONDecodeError:
            continue
        return end + 1, check_parsed(raw, value, max_depth)
    return None


def _record_end(text: _Text, start: int, max_depth: int) -> tuple[int, int] | None:
    """Find where the record starting at `start` ends; refills the buffer as needed.

    Returns:
        ``(start, end)`` (positions may shift when the buffer is refilled), or None when
        the text ends inside the record.

    Raises:
        RecordTooLargeError: the record spans more than the limit.
        NestingTooDeepError: the record nests deeper than `max_depth`; scanning stops
            there, so a hostile file of brackets costs no more than its first levels.
    """
    if text.data[start] not in _OPENERS:
        while True:
            match = _SCALAR.match(text.data, start)
            if match is not None and (match.end() < len(text.data) or text.eof):
                return start, match.end()
            if text.eof:
                return None
            start -= text.more(start)
    depth, pos = 0, start
    while True:
        match = _TO_BRACKET.match(text.data, pos)
        if match is None:
            if text.eof:
                return None
            if len(text.data) - start > text.limit:
                raise RecordTooLargeError(text.limit)
            dropped = text.more(start)
            start, pos = start - dropped, pos - dropped
            continue
        pos = match.end()
        if text.data[pos - 1] in _OPENERS:
            depth += 1
            if depth > max_depth:
                raise NestingTooDeepError(pos - 1)
            continue
        depth -= 1
        if depth == 0:
            if pos - start > text.limit:
                raise RecordTooLargeError(text.limit)
            return start, pos


def inspect_records(chunks: Iterator[bytes], tally: RecordTally, limits: Limits, *, array: bool) -> list[Reason]:
    """Stream the records of a top-level array, or the one value of a document.

    Args:
        chunks: checked bytes (UTF-8, no NUL), after any BOM.
        tally: takes every record.
        limits: record size and depth bounds.
        array: True for ``[...]`` (each item is a record), False for a single document.

    Returns:
        The structural reasons (an unclosed array, a missing comma, text after the end, a
        record over the size limit); the tally holds the rest.
    """
    text = _Text(chunks, limits.max_record_bytes)
    depth_left = limits.max_depth - (1 if array else 0)
    pos = 0
    expecting_item = True
    closed = False
    # After a batch failed, items are taken one by one up to where it would have ended,
    # so a file whose batches keep failing costs at most twice the parsing.
    batch_from = 0
    batches = array and not tally.checks_each_record
    try:
        pos = text.space(0)
        if array:
            pos += 1  # the opening bracket, which is how an array was recognised
        while True:
            pos = text.space(pos)
            if pos >= len(text.data):
                break
            byte = text.data[pos : pos + 1]
            if array and byte == b"]":
                if expecting_item and tally.records:
                    return [_structure("a value is expected after the comma", text, pos)]
                closed, pos = True, text.space(pos + 1)
                break
            if not expecting_item:
                if array and byte == b",":
                    expecting_item, pos = True, pos + 1
                    continue
                expected = "',' or ']'" if array else "nothing more"
                return [_structure(f"{expected} was expected after the value", text, pos)]
            if batches and pos >= batch_from:
                if len(text.data) - pos < _BATCH_BYTES and not text.eof:
                    dropped = text.more(pos)
                    pos, batch_from = pos - dropped, batch_from - dropped
                batch = _quick_batch(text, pos)
                if batch is not None:
                    tally.take_objects(batch[1], text.line(pos))
                    expecting_item, pos = False, batch[0]
                    continue
                batch_from = pos + _BATCH_BYTES
            quick = _quick_object(text, pos, depth_left)
            if quick is not None:
                (end, result), start = quick, pos
            else:
                span = _record_end(text, pos, depth_left)
                if span is None:
                    break
                start, end = span
                result = parse_record(text.data[start:end], depth_left)
            if isinstance(result, Problem):
                tally.take(result, *text.where(start))
            else:
                tally.take(result, text.line(start))
            expecting_item, pos = False, end
            if not array:
                closed = True
            if pos > limits.chunk_size:
                dropped = text.more(pos)
                pos, batch_from = pos - dropped, batch_from - dropped
    except RecordTooLargeError as err:
        what = f"Array item {tally.records + 1:,}" if array else "The JSON document"
        line, _ = text.where(pos)
        return [too_large(what, err, at(line=line, record=tally.records + 1))]
    except NestingTooDeepError as err:
        what = f"Array item {tally.records + 1:,}" if array else "The JSON document"
        line = text.line(err.position)
        return [malformed(f"{what} is nested deeper than {limits.max_depth:,} levels at line {line:,}.", at(line=line))]
    except BadTextError as err:
        return [bad_text_reason(err)]
    if not closed:
        return [_structure("the JSON ends before the value is complete", text, len(text.data))]
    if pos < len(text.data):
        return [_structure("nothing more was expected after the value", text, pos)]
    return []


def _structure(problem: str, text: _Text, pos: int) -> Reason:
    line, column = text.where(pos)
    return malformed(f"The JSON is not well-formed at line {line:,}, column {column:,} ({problem}).", at(line=line))
