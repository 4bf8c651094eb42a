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

JSON Lines are parsed line by line with `json.loads` (`json_lines`), so every bad line
is found (with its line and column) rather than only the first. Blank lines are skipped.

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

import ijson

from scalper_backend.inspection.json_feed import LineFeeder
from scalper_backend.inspection.json_lines import inspect_lines
from scalper_backend.inspection.json_shapes import ACCEPTED, Tally, describe, malformed, too_large
from scalper_backend.inspection.json_values import values_at
from scalper_backend.inspection.limits import Limits
from scalper_backend.inspection.output import NumberOutOfRangeError, RecordWriter
from scalper_backend.inspection.reasons import (
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
            return inspect_lines(source, writer, limits)
    elif lines_declared:
        return inspect_lines(source, writer, limits)
    return _inspect_document(LineFeeder(source, limits), writer, limits.max_depth)


def _is_object(line: str) -> bool:
    """Tell whether one line is a complete JSON object on its own."""
    try:
        return isinstance(json.loads(line), dict)
    except (ValueError, RecursionError):
        # Too deep for `json` is too deep for any path; the streaming one says so clearly.
        return False


def _inspect_array(feeder: LineFeeder, writer: RecordWriter, max_depth: int) -> ContentFindings:
    """Stream a top-level array, checking every item is an object."""
    reasons: list[Reason] = []
    not_objects = Tally()
    items = 0
    completed = False
    try:
        events = ijson.basic_parse(feeder, use_float=True)
        for items, item in enumerate(values_at(events, 1, max_depth), 1):
            feeder.checkpoint()
            if isinstance(item, dict):
                writer.write(item)
            else:
                not_objects.add(f"item {items:,} ({describe(item)})")
        completed = True
    except (ijson.JSONError, StopParsingError, NumberOutOfRangeError) as err:
        reasons.append(_stopped(f"Array item {items + 1:,}", err, feeder))
    if not_objects.count:
        reasons.append(
            reason(
                ReasonCode.JSON_WRONG_SHAPE,
                f"{plural(not_objects.count, 'array item')} of {items:,} "
                f"{agree(not_objects.count, 'is not an object', 'are not objects')}: "
                f"{examples(not_objects.places, not_objects.count)}. Expected {ACCEPTED}.",
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
                        f"The top-level JSON value is {describe(value)}. Expected {ACCEPTED}.",
                    )
                )
    except (ijson.JSONError, StopParsingError, NumberOutOfRangeError) as err:
        reasons.append(_stopped("The JSON document", err, feeder))
    return ContentFindings(tuple(reasons), "json", writer.records, writer.distinct_keys)


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
        return malformed(f"The JSON is not well-formed at {feeder.locate(err).describe()}.")
    if isinstance(err, RecordTooLargeError):
        return too_large(what, err)
    if isinstance(err, NestingTooDeepError):
        return malformed(f"{what} is nested deeper than {err.limit:,} levels at line {line:,}.")
    if isinstance(err, DuplicateKeyError):
        return malformed(
            f"{what} has an object with the key {quote_name(err.key)} more than once, at line {line:,}: "
            "only one of the values could be kept."
        )
    if isinstance(err, LoneSurrogateError):
        return lone_surrogate_reason(err)
    if isinstance(err, InvalidUtf8Error):
        return invalid_utf8_reason(err)
    return malformed("A number in the JSON is too large to represent.")
