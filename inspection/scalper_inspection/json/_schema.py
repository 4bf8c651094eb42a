"""Checking JSON records against the partner's JSON Schema (the ``jsonschema`` library).

Bounded work and bounded text: a record is at most `Limits.max_record_bytes`, only the
first error of each record is taken (``iter_errors`` is lazy, so evaluation stops
there), and a message names the failing keyword (``type``, ``required``...) and the field
path (cut to 40 characters), never the value, which jsonschema's own messages quote.
Format assertions (``"format": "date"``) are not checked: jsonschema treats them as
annotations unless a format checker is passed, and the schema's author can use a
``pattern`` instead.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from scalper_inspection.reasons import EXAMPLES_SHOWN, ReasonCode, agree, at, examples, plural, reason
from scalper_inspection.types import Location, Reason


def field_path(path: Iterable[str | int]) -> str:
    """``["visits", 2, "date"]`` -> ``visits[2].date`` (``$`` for the record itself)."""
    text = ""
    for part in path:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else str(part))
    return text or "$"


class SchemaCheck:
    """Checks records against one JSON Schema, tallying the failures.

    Args:
        schema: a schema already checked against its meta-schema (see `rules.load_rules`).
    """

    def __init__(self, schema: dict[str, Any]) -> None:
        # Imported here: only partners whose rules have a schema pay for jsonschema.
        from jsonschema import validators

        self._validator = validators.validator_for(schema)(schema)
        self.failed = 0
        self.first: Location | None = None
        self.places: list[str] = []

    def check(self, record: dict[str, Any], number: int, line: int) -> None:
        """Check one record; remember the first failure's field and keyword."""
        error = next(self._validator.iter_errors(record), None)
        if error is None:
            return
        self.failed += 1
        path = field_path(error.absolute_path)
        if self.first is None:
            self.first = at(line=line, record=number, field=path)
        if len(self.places) < EXAMPLES_SHOWN:
            where = at(field=path).field
            self.places.append(f"record {number:,} (line {line:,}, field {where}: {error.validator})")

    def reasons(self, records: int) -> list[Reason]:
        """One ``json_schema_mismatch`` reason, when any record failed."""
        if not self.failed:
            return []
        return [
            reason(
                ReasonCode.JSON_SCHEMA_MISMATCH,
                f"{plural(self.failed, 'record')} of {records:,} {agree(self.failed, 'does', 'do')} not match "
                f"the JSON Schema of your rules: {examples(self.places, self.failed)}.",
                self.first,
            )
        ]
