"""JSON rules: a single object, an array of objects, or JSON Lines of objects.

How the shape is chosen, from the first non-blank byte (after any BOM):

* ``[``: an array, streamed item by item with ijson; every item must be an object and
  there must be at least one. An empty array ``[]`` is ``json_wrong_shape`` ("no
  records"): a file that produces nothing is almost always a broken export.
* ``{``: JSON Lines when the first non-blank line parses on its own as an object (a
  one-line file is then simply a single object), and also when that line is too long to
  judge from the sniffed window; otherwise a pretty-printed single object, parsed by ijson.
* anything else: JSON Lines when a JSON Lines type was declared (``application/x-ndjson``,
  ``application/jsonl``), so that lines such as ``1`` and ``2`` are each judged as a line
  that holds no object; otherwise a single document parsed by ijson, where a scalar is
  ``json_wrong_shape``.

JSON Lines are parsed line by line with `json.loads`, so every bad line is found (with
its line and column) rather than only the first. Blank lines are skipped.

Floats are parsed as Python floats on both paths, so ``1.10`` is written as ``1.1``;
numbers too large for a float are ``json_malformed``, as are ``NaN`` and ``Infinity``.
A record larger than `Limits.max_record_bytes` is ``json_wrong_shape``: records must be
small enough to be processed one at a time.

Also ``json_malformed``, on every path: nesting deeper than `Limits.max_depth` (the one
input whose cost is not linear in its size), and an object with the same key twice (a
parser keeps only one of the values, so data would be lost without a trace). An escaped
lone surrogate such as ``\\ud800`` is ``invalid_encoding``: it is no character, and UTF-8
cannot carry it.
"""

from __future__ import annotations

import io
import json
import math
from dataclasses import dataclass, field
from typing import Any

import ijson

from scalper_backend.inspection.json_escapes import find_lone_surrogate
from scalper_backend.inspection.json_feed import LineFeeder
from scalper_backend.inspection.json_values import nesting_exceeds, values_at
from scalper_backend.inspection.limits import Limits
from scalper_backend.inspection.output import NumberOutOfRangeError, RecordWriter
from scalper_backend.inspection.reasons import (
    EXAMPLES_SHOWN,
    ReasonCode,
    agree,
    examples,
    invalid_utf8_reason,
    lone_surrogate_reason,
    plural,
    quote_name,
    reason,
)
from scalper_backend.inspection.result import ContentFindings
from scalper_backend.inspection.sniff import first_line
from scalper_backend.inspection.stops import (
    DuplicateKeyError,
    InvalidUtf8Error,
    LoneSurrogateError,
    NestingTooDeepError,
    RecordTooLargeError,
    StopParsingError,
)
from scalper_backend.models import Reason

_ACCEPTED = "an object, an array of objects, or JSON Lines of objects"


@dataclass
class _Tally:
    """Problems of one kind, with the first few places they occurred."""

    count: int = 0
    places: list[str] = field(default_factory=list)

    def add(self, place: str) -> None:
        """Count one occurrence, remembering where if it is among the first few."""
        self.count += 1
        if len(self.places) < EXAMPLES_SHOWN:
            self.places.append(place)


def inspect_json(
    source: io.RawIOBase,
    head: bytes,
    complete: bool,
    writer: RecordWriter,
    limits: Limits,
    lines_declared: bool = False,
) -> ContentFindings:
    """Check JSON text of any accepted shape and write each object as a record.

    Args:
        source: UTF-8-checked bytes, positioned after any BOM.
        head: the first bytes of `source` (already sniffed), used to choose the shape.
        complete: True when `head` is the whole content.
        writer: where records go.
        limits: chunk, record-size and depth bounds.
        lines_declared: True when a JSON Lines content type was declared.

    Returns:
        The content reasons found, with the record count and distinct key count.
    """
    start = head.lstrip()[:1]
    if not start and complete:
        malformed = reason(ReasonCode.JSON_MALFORMED, "The file holds only whitespace: there is no JSON value.")
        return ContentFindings((malformed,), "json", None, None)
    if start == b"[":
        return _inspect_array(LineFeeder(source, limits), writer, limits.max_depth)
    if start == b"{":
        line = first_line(head, complete)
        if line is None or _is_object(line):
            return _inspect_lines(source, writer, limits)
    elif lines_declared:
        return _inspect_lines(source, writer, limits)
    return _inspect_document(LineFeeder(source, limits), writer, limits.max_depth)


def _is_object(line: str) -> bool:
    """Tell whether one line is a complete JSON object on its own."""
    try:
        return isinstance(json.loads(line), dict)
    except (ValueError, RecursionError):
        # Too deep for `json` is too deep for any path; the streaming one says so clearly.
        return False


def _describe(value: Any) -> str:
    """Name a JSON value's type for a message, without quoting it."""
    if isinstance(value, bool):
        return "a boolean"
    if value is None:
        return "null"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, list):
        return "an array"
    return "a number"


def _inspect_array(feeder: LineFeeder, writer: RecordWriter, max_depth: int) -> ContentFindings:
    """Stream a top-level array, checking every item is an object."""
    reasons: list[Reason] = []
    not_objects = _Tally()
    items = 0
    completed = False
    try:
        events = ijson.basic_parse(feeder, use_float=True)
        for items, item in enumerate(values_at(events, 1, max_depth), 1):
            feeder.checkpoint()
            if isinstance(item, dict):
                writer.write(item)
            else:
                not_objects.add(f"item {items:,} ({_describe(item)})")
        completed = True
    except (ijson.JSONError, StopParsingError, NumberOutOfRangeError) as err:
        reasons.append(_stopped(f"Array item {items + 1:,}", err, feeder))
    if not_objects.count:
        reasons.append(
            reason(
                ReasonCode.JSON_WRONG_SHAPE,
                f"{plural(not_objects.count, 'array item')} of {items:,} "
                f"{agree(not_objects.count, 'is not an object', 'are not objects')}: "
                f"{examples(not_objects.places, not_objects.count)}. Expected {_ACCEPTED}.",
            )
        )
    if completed and items == 0:
        reasons.append(reason(ReasonCode.JSON_WRONG_SHAPE, "The JSON array is empty: there are no records."))
    return ContentFindings(tuple(reasons), "json", writer.records, writer.distinct_keys)


def _inspect_document(feeder: LineFeeder, writer: RecordWriter, max_depth: int) -> ContentFindings:
    """Parse one top-level value (a pretty-printed object, or a scalar) with ijson."""
    reasons: list[Reason] = []
    try:
        for value in values_at(ijson.basic_parse(feeder, use_float=True), 0, max_depth):
            if isinstance(value, dict):
                writer.write(value)
            else:
                reasons.append(
                    reason(
                        ReasonCode.JSON_WRONG_SHAPE,
                        f"The top-level JSON value is {_describe(value)}. Expected {_ACCEPTED}.",
                    )
                )
    except (ijson.JSONError, StopParsingError, NumberOutOfRangeError) as err:
        reasons.append(_stopped("The JSON document", err, feeder))
    return ContentFindings(tuple(reasons), "json", writer.records, writer.distinct_keys)


def _inspect_lines(source: io.RawIOBase, writer: RecordWriter, limits: Limits) -> ContentFindings:
    """Parse JSON Lines, one `json.loads` per non-blank line, reporting every bad line."""
    lines = io.BufferedReader(source, buffer_size=limits.chunk_size)
    reasons: list[Reason] = []
    malformed, not_objects, surrogates = _Tally(), _Tally(), _Tally()
    line_number = records = 0
    try:
        while line := lines.readline(limits.max_record_bytes + 1):
            line_number += 1
            if len(line) > limits.max_record_bytes:
                raise RecordTooLargeError(limits.max_record_bytes)
            if not line.strip():
                continue
            records += 1
            lone = find_lone_surrogate(line)
            if lone is not None:
                surrogates.add(f"line {line_number:,} ({lone})")
                continue
            problem = _line_problem(line, limits.max_depth)
            if isinstance(problem, str):
                malformed.add(f"line {line_number:,}{problem}")
                continue
            value = problem.value
            if isinstance(value, dict):
                writer.write(value)
            else:
                not_objects.add(f"line {line_number:,} ({_describe(value)})")
    except RecordTooLargeError as err:
        reasons.append(_too_large(f"Line {line_number:,}", err))
    except InvalidUtf8Error as err:
        reasons.append(invalid_utf8_reason(err))
    if malformed.count:
        reasons.insert(
            0,
            _malformed(
                f"{plural(malformed.count, 'line')} of {records:,} "
                f"{agree(malformed.count, 'is', 'are')} not well-formed JSON: "
                f"{examples(malformed.places, malformed.count)}."
            ),
        )
    if not_objects.count:
        reasons.append(
            reason(
                ReasonCode.JSON_WRONG_SHAPE,
                f"{plural(not_objects.count, 'line')} of {records:,} "
                f"{agree(not_objects.count, 'does', 'do')} not hold an object: "
                f"{examples(not_objects.places, not_objects.count)}. Expected {_ACCEPTED}.",
            )
        )
    if surrogates.count:
        reasons.append(
            reason(
                ReasonCode.INVALID_ENCODING,
                f"{plural(surrogates.count, 'line')} of {records:,} "
                f"{agree(surrogates.count, 'holds', 'hold')} an escaped lone surrogate, which is not valid "
                f"Unicode: {examples(surrogates.places, surrogates.count)}. A surrogate escape must be half of "
                "a pair, such as \\ud83d\\ude00.",
            )
        )
    detected = "jsonl" if records > 1 else "json"
    return ContentFindings(tuple(reasons), detected, writer.records, writer.distinct_keys)


@dataclass(frozen=True, slots=True)
class _Parsed:
    """A line that parsed: its value."""

    value: Any


def _line_problem(line: bytes, max_depth: int) -> str | _Parsed:
    """Parse one JSON Lines line, or say what is wrong with it.

    Returns:
        The parsed value, or a suffix for the line's place in a message, such as
        ``", column 8 (Expecting value)"`` or ``" (nested deeper than 64 levels)"``.
    """
    too_deep = f" (nested deeper than {max_depth:,} levels)"
    try:
        # Only the line ending is cut, so the decoder's column is the column in the file.
        value = json.loads(
            line.rstrip(b"\r\n"),
            parse_constant=_reject_constant,
            parse_float=_finite_float,
            object_pairs_hook=_unique_keys,
        )
    except json.JSONDecodeError as err:
        return f", column {err.colno:,} ({err.msg})"
    except ValueError as err:
        return f" ({err})"
    except DuplicateKeyError as err:
        return f" (the key {quote_name(err.key)} appears more than once)"
    except RecursionError:
        # `json` recurses per level and gives up near the interpreter's limit (about
        # 1,000), far past `max_depth`.
        return too_deep
    # Counting brackets is a cheap bound (brackets inside strings only add to it), so
    # the walk over the value runs only for lines that might be too deep.
    if line.count(b"[") + line.count(b"{") > max_depth and nesting_exceeds(value, max_depth):
        return too_deep
    return _Parsed(value)


def _unique_keys(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    """Build an object, refusing a key that appears twice (`dict` would keep the last)."""
    record = dict(pairs)
    if len(record) < len(pairs):
        seen: set[str] = set()
        for key, _ in pairs:
            if key in seen:
                raise DuplicateKeyError(key)
            seen.add(key)
    return record


def _reject_constant(name: str) -> Any:
    """Refuse ``NaN``, ``Infinity`` and ``-Infinity``, which `json` accepts but JSON does not."""
    raise ValueError(f"{name} is not a JSON value")


def _finite_float(text: str) -> float:
    """Parse a float, refusing ones that overflow to infinity (as ijson does)."""
    value = float(text)
    if math.isinf(value):
        raise ValueError("a number is too large to represent")
    return value


def _malformed(message: str) -> Reason:
    """Build a ``json_malformed`` reason."""
    return reason(ReasonCode.JSON_MALFORMED, message)


def _too_large(what: str, err: RecordTooLargeError) -> Reason:
    """Build the ``json_wrong_shape`` reason for a record over the size limit."""
    return reason(
        ReasonCode.JSON_WRONG_SHAPE,
        f"{what} is larger than the limit of {err.limit:,} bytes for one record. "
        "Send many small objects (an array or JSON Lines) instead.",
    )


def _stopped(what: str, err: Exception, feeder: LineFeeder) -> Reason:
    """Build the reason why streaming stopped inside a record.

    Args:
        what: the record, capitalised, e.g. ``"Array item 3"`` or ``"The JSON document"``.
        err: an ijson error, a `StopParsingError` or a `NumberOutOfRangeError`.
        feeder: the source the parser was reading, which knows the current line.

    Returns:
        One reason; only static text, the line, and for a duplicate key its name.
    """
    line = feeder.piece_line
    if isinstance(err, ijson.JSONError):
        return _malformed(f"The JSON is not well-formed at {feeder.locate(err).describe()}.")
    if isinstance(err, RecordTooLargeError):
        return _too_large(what, err)
    if isinstance(err, NestingTooDeepError):
        return _malformed(f"{what} is nested deeper than {err.limit:,} levels at line {line:,}.")
    if isinstance(err, DuplicateKeyError):
        return _malformed(
            f"{what} has an object with the key {quote_name(err.key)} more than once, at line {line:,}: "
            "only one of the values could be kept."
        )
    if isinstance(err, LoneSurrogateError):
        return lone_surrogate_reason(err)
    if isinstance(err, InvalidUtf8Error):
        return invalid_utf8_reason(err)
    return _malformed("A number in the JSON is too large to represent.")
