"""JSON: a single object, an array of objects, or JSON Lines of objects.

How the shape is chosen, from the first non-blank byte (after any BOM):

* ``[``: an array, streamed item by item; every item must be an object and there must
  be at least one. An empty array ``[]`` is ``json_wrong_shape`` ("no records"): a file
  that produces nothing is almost always a broken export.
* ``{``: JSON Lines when the first non-blank line parses on its own as an object (a
  one-line file is then simply a single object), and also when that line is too long to
  judge from the sniffed window; otherwise one pretty-printed object.
* anything else: JSON Lines when a JSON Lines type was declared (``application/x-ndjson``,
  ``application/jsonl``), so that lines such as ``1`` and ``2`` are each judged as a line
  that holds no object; otherwise a single document, where a scalar is
  ``json_wrong_shape``.

Every record is parsed on its own (`_records`), so every bad line or item is found, with
its line and column, rather than only the first. Blank lines are skipped. Numbers are
written as the double or 64-bit integer they are, so ``1.10`` is written as ``1.1``; a
number that would lose digits is ``json_number_unrepresentable``. ``NaN`` and
``Infinity`` are ``json_malformed``. A record larger than `Limits.max_record_bytes` is
``json_wrong_shape``: records must be small enough to be processed one at a time.

Also ``json_malformed``, on every path: nesting deeper than `Limits.max_depth`, and an
object with the same key twice (a parser keeps only one of the values, so data would be
lost without a trace). An escaped lone surrogate such as ``\\ud800`` is
``invalid_encoding``: it is no character, and UTF-8 cannot carry it.
"""

from __future__ import annotations

import json

from scalper_inspection._sniff import first_line, looks_like_json
from scalper_inspection.json._array import inspect_records
from scalper_inspection.json._lines import inspect_lines
from scalper_inspection.json._schema import SchemaCheck
from scalper_inspection.json._shapes import RecordTally, malformed
from scalper_inspection.reasons import ReasonCode, reason
from scalper_inspection.types import Findings
from scalper_inspection.validator import Inputs, Validator

_JSON_LINES = frozenset({"application/x-ndjson", "application/jsonl"})


def _validate(inputs: Inputs) -> Findings:
    """Choose the shape from the first bytes, then stream the records."""
    start = inputs.head.lstrip()[:1]
    if not start and inputs.complete:
        only_space = malformed("The file holds only whitespace: there is no JSON value.")
        return Findings((only_space,), "json")
    schema = inputs.rules.json_rules.record_schema
    check = SchemaCheck(schema) if schema is not None else None
    chunks = inputs.text().byte_chunks()
    limits = inputs.limits
    if start == b"[":
        tally = RecordTally(inputs.output, "array item", limits.max_depth, check)
        stopped = inspect_records(chunks, tally, limits, array=True)
        reasons = [*stopped, *tally.reasons()]
        if not stopped and tally.records == 0:
            reasons.append(reason(ReasonCode.JSON_WRONG_SHAPE, "The JSON array is empty: there are no records."))
        return Findings(tuple(reasons), "json", inputs.output.records, inputs.output.distinct_keys)
    lines = inputs.declared.content_type in _JSON_LINES
    if start == b"{":
        line = first_line(inputs.head, inputs.complete)
        lines = line is None or _is_object(line)
    if lines:
        tally = RecordTally(inputs.output, "line", limits.max_depth, check)
        stopped = inspect_lines(chunks, tally, limits)
        detected = "jsonl" if tally.records > 1 else "json"
    else:
        tally = RecordTally(inputs.output, "document", limits.max_depth, check)
        stopped = inspect_records(chunks, tally, limits, array=False)
        detected = "json"
    return Findings((*tally.reasons(), *stopped), detected, inputs.output.records, inputs.output.distinct_keys)


def _is_object(line: str) -> bool:
    """Tell whether one line is a complete JSON object on its own."""
    try:
        return isinstance(json.loads(line), dict)
    except (ValueError, RecursionError):
        # Too deep for `json` is too deep for any path; the streaming one says so clearly.
        return False


VALIDATOR = Validator(
    name="json",
    description="JSON",
    content_types=frozenset({"application/json", *_JSON_LINES}),
    extensions=((".json", "application/json"), (".jsonl", "application/x-ndjson"), (".ndjson", "application/x-ndjson")),
    text=True,
    output_format="jsonl",
    validate=_validate,
    claims=looks_like_json,
)

__all__ = ["VALIDATOR"]
