"""JSON Lines: one `json.loads` per non-blank line, so that every bad line is reported
(with its line and column) rather than only the first."""

from __future__ import annotations

import io
import json
import math
from dataclasses import dataclass
from typing import Any

from scalper_backend.inspection.json_escapes import find_lone_surrogate
from scalper_backend.inspection.json_shapes import ACCEPTED, Tally, describe, malformed, too_large
from scalper_backend.inspection.json_values import nesting_exceeds
from scalper_backend.inspection.limits import Limits
from scalper_backend.inspection.output import RecordWriter
from scalper_backend.inspection.reasons import (
    ReasonCode,
    agree,
    examples,
    invalid_utf8_reason,
    plural,
    quote_name,
    reason,
)
from scalper_backend.inspection.result import ContentFindings
from scalper_backend.inspection.stops import DuplicateKeyError, InvalidUtf8Error, RecordTooLargeError
from scalper_backend.models import Reason


def inspect_lines(source: io.RawIOBase, writer: RecordWriter, limits: Limits) -> ContentFindings:
    """Parse JSON Lines, one `json.loads` per non-blank line, reporting every bad line."""
    lines = io.BufferedReader(source, buffer_size=limits.chunk_size)
    reasons: list[Reason] = []
    bad_lines, not_objects, surrogates = Tally(), Tally(), Tally()
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
                bad_lines.add(f"line {line_number:,}{problem}")
                continue
            value = problem.value
            if isinstance(value, dict):
                writer.write(value)
            else:
                not_objects.add(f"line {line_number:,} ({describe(value)})")
    except RecordTooLargeError as err:
        reasons.append(too_large(f"Line {line_number:,}", err))
    except InvalidUtf8Error as err:
        reasons.append(invalid_utf8_reason(err))
    if bad_lines.count:
        reasons.insert(
            0,
            malformed(
                f"{plural(bad_lines.count, 'line')} of {records:,} "
                f"{agree(bad_lines.count, 'is', 'are')} not well-formed JSON: "
                f"{examples(bad_lines.places, bad_lines.count)}."
            ),
        )
    if not_objects.count:
        reasons.append(
            reason(
                ReasonCode.JSON_WRONG_SHAPE,
                f"{plural(not_objects.count, 'line')} of {records:,} "
                f"{agree(not_objects.count, 'does', 'do')} not hold an object: "
                f"{examples(not_objects.places, not_objects.count)}. Expected {ACCEPTED}.",
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
