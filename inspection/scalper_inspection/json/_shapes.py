"""What the JSON shapes share: the accepted shapes, and the verdict on each record.

JSON Lines and arrays are both sequences of records. `RecordTally` takes each record's
parse result, writes the objects, and tallies every problem with the first few places
it occurred, so that every bad record is reported (not only the first), with its line and
column, in a bounded message.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from scalper_inspection._output import NumberOutOfRangeError, OutputWriter
from scalper_inspection.errors import RecordTooLargeError
from scalper_inspection.json._records import Problem
from scalper_inspection.json._schema import SchemaCheck
from scalper_inspection.reasons import (
    EXAMPLES_SHOWN,
    ReasonCode,
    agree,
    at,
    examples,
    plural,
    quote_name,
    reason,
)
from scalper_inspection.types import Location, Reason

ACCEPTED = "an object, an array of objects, or JSON Lines of objects"


@dataclass
class Tally:
    """Problems of one kind, with the first few places they occurred."""

    count: int = 0
    places: list[str] = field(default_factory=list)
    first: Location | None = None

    def add(self, place: str, where: Location | None = None) -> None:
        """Count one occurrence, remembering where if it is among the first few."""
        self.count += 1
        if self.first is None:
            self.first = where
        if len(self.places) < EXAMPLES_SHOWN:
            self.places.append(place)


def describe(value: Any) -> str:
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


def malformed(message: str, where: Location | None = None) -> Reason:
    """Build a ``json_malformed`` reason."""
    return reason(ReasonCode.JSON_MALFORMED, message, where)


def too_large(what: str, err: RecordTooLargeError, where: Location | None = None) -> Reason:
    """Build the ``json_wrong_shape`` reason for a record over the size limit."""
    return reason(
        ReasonCode.JSON_WRONG_SHAPE,
        f"{what} is larger than the limit of {err.limit:,} bytes for one record. "
        "Send many small objects (an array or JSON Lines) instead.",
        where,
    )


class RecordTally:
    """Writes good records and tallies the bad ones of a JSON Lines file or an array.

    Args:
        output: where objects go.
        noun: ``"line"`` or ``"array item"``, for messages.
        max_depth: the nesting limit, for messages.
        schema: the partner's JSON Schema check, if any.
    """

    def __init__(self, output: OutputWriter, noun: str, max_depth: int, schema: SchemaCheck | None) -> None:
        self._output = output
        self._noun = noun
        self._max_depth = max_depth
        self._schema = schema
        self.records = 0
        self.bad = Tally()
        self.not_objects = Tally()
        self.surrogates = Tally()
        self.numbers = Tally()

    @property
    def checks_each_record(self) -> bool:
        """True when every record needs a look of its own (a JSON Schema)."""
        return self._schema is not None

    def take(self, result: Any, line: int, column: int = 1) -> None:
        """Account for one record.

        Args:
            result: what `parse_record` returned: a value or a `Problem`.
            line: the file line where the record starts.
            column: the character column where it starts.
        """
        self.records += 1
        number = self.records
        if isinstance(result, Problem):
            self._problem(result, number, line, column)
        elif not isinstance(result, dict):
            self.not_objects.add(f"{self._place(number, line)} ({describe(result)})", at(line=line, record=number))
        else:
            if self._schema is not None:
                self._schema.check(result, number, line)
            try:
                self._output.record(result)
            except NumberOutOfRangeError:
                self.numbers.add(self._place(number, line), at(line=line, record=number))

    def take_objects(self, objects: list[dict[str, Any]], line: int) -> None:
        """Account for records already known to be plain objects (a batch, see `_array`)."""
        record = self._output.record
        for number, value in enumerate(objects, self.records + 1):
            try:
                record(value)
            except NumberOutOfRangeError:
                self.numbers.add(self._place(number, line), at(line=line, record=number))
        self.records += len(objects)

    def _place(self, number: int, line: int) -> str:
        """``line 3``, or ``item 2 at line 3`` in an array."""
        return f"item {number:,} at line {line:,}" if self._noun == "array item" else f"line {line:,}"

    def _problem(self, problem: Problem, number: int, line: int, column: int) -> None:
        where_line = line + problem.line - 1
        where = at(line=where_line, record=number)
        place = self._place(number, where_line)
        if problem.kind == "surrogate":
            self.surrogates.add(f"{place} ({problem.detail})", where)
        elif problem.kind == "number":
            self.numbers.add(place, where)
        elif problem.kind == "duplicate":
            self.bad.add(f"{place} (the key {quote_name(problem.detail)} appears more than once)", where)
        elif problem.kind == "deep":
            self.bad.add(f"{place} (nested deeper than {self._max_depth:,} levels)", where)
        elif problem.column is None:
            self.bad.add(f"{place} ({problem.detail})", where)
        else:
            spot = problem.column + (column - 1 if problem.line == 1 else 0)
            self.bad.add(f"{place}, column {spot:,} ({problem.detail})", where)

    def _subject(self, tally: Tally, one: str, many: str) -> str:
        """``"3 lines of 9 are"``, or ``"The JSON document is"`` for a single document."""
        if self._noun == "document":
            return f"The JSON document {one}"
        return f"{plural(tally.count, self._noun)} of {self.records:,} {agree(tally.count, one, many)}"

    def _places(self, tally: Tally) -> str:
        if self._noun == "document":
            return f" ({tally.places[0]})"
        return f": {examples(tally.places, tally.count)}"

    def reasons(self) -> list[Reason]:
        """The tallies as reasons, in a stable order."""
        found: list[Reason] = []
        if self.bad.count:
            where = f" at {self.bad.places[0]}" if self._noun == "document" else self._places(self.bad)
            subject = self._subject(self.bad, "is", "are")
            found.append(malformed(f"{subject} not well-formed JSON{where}.", self.bad.first))
        if self.not_objects.count:
            if self._noun == "document":
                kind = self.not_objects.places[0].partition(" (")[2].rstrip(")")
                message = f"The top-level JSON value is {kind}. Expected {ACCEPTED}."
            else:
                message = (
                    f"{self._subject(self.not_objects, 'is not an object', 'are not objects')}"
                    f"{self._places(self.not_objects)}. Expected {ACCEPTED}."
                )
            found.append(reason(ReasonCode.JSON_WRONG_SHAPE, message, self.not_objects.first))
        if self.surrogates.count:
            found.append(
                reason(
                    ReasonCode.INVALID_ENCODING,
                    f"{self._subject(self.surrogates, 'holds', 'hold')} an escaped lone surrogate, which is not "
                    f"valid Unicode{self._places(self.surrogates)}. A surrogate escape must be half of a pair, such "
                    "as \\ud83d\\ude00.",
                    self.surrogates.first,
                )
            )
        if self.numbers.count:
            found.append(
                reason(
                    ReasonCode.JSON_NUMBER_UNREPRESENTABLE,
                    f"{self._subject(self.numbers, 'holds', 'hold')} a number that would lose digits"
                    f"{self._places(self.numbers)}. Numbers are kept as 64-bit integers or doubles (up to 15 "
                    "significant digits are exact); send longer numbers as strings.",
                    self.numbers.first,
                )
            )
        if self._schema is not None:
            found.extend(self._schema.reasons(self.records))
        return found
