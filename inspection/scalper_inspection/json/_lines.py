"""JSON Lines: one record per non-blank line, every bad line reported with its place."""

from __future__ import annotations

from collections.abc import Iterator

from scalper_inspection.errors import BadTextError, RecordTooLargeError
from scalper_inspection.json._records import Suspicion, parse_record
from scalper_inspection.json._shapes import RecordTally, too_large
from scalper_inspection.limits import Limits
from scalper_inspection.reasons import at, bad_text_reason
from scalper_inspection.types import Reason


def inspect_lines(chunks: Iterator[bytes], tally: RecordTally, limits: Limits) -> list[Reason]:
    """Parse JSON Lines chunk by chunk; lines are split at C speed, parsed by orjson.

    Args:
        chunks: checked bytes (UTF-8, no NUL), after any BOM.
        tally: takes every record.
        limits: the line-length and depth bounds.

    Returns:
        The reasons that stopped reading (a line over the limit, bad text); the tally
        holds the rest.
    """
    limit, depth = limits.max_record_bytes, limits.max_depth
    line_number = 0
    carry = b""
    try:
        for data in chunks:
            text = carry + data if carry else data
            suspicion = Suspicion.of(text)
            lines = text.split(b"\n")
            carry = lines.pop()
            for line in lines:
                if len(line) > limit:
                    raise RecordTooLargeError(limit)
                line_number += 1
                if line and not line.isspace():
                    tally.take(parse_record(line, depth, suspicion), line_number)
            if len(carry) > limit:
                raise RecordTooLargeError(limit)
        if carry and not carry.isspace():
            line_number += 1
            tally.take(parse_record(carry, depth), line_number)
    except RecordTooLargeError as err:
        # The line over the limit is the one after the last complete one.
        return [too_large(f"Line {line_number + 1:,}", err, at(line=line_number + 1))]
    except BadTextError as err:
        return [bad_text_reason(err)]
    return []
