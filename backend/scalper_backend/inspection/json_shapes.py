"""What the JSON paths share: the accepted shapes, tallies of problems, common reasons."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from scalper_backend.inspection.reasons import EXAMPLES_SHOWN, ReasonCode, reason
from scalper_backend.inspection.stops import RecordTooLargeError
from scalper_backend.models import Reason

ACCEPTED = "an object, an array of objects, or JSON Lines of objects"


@dataclass
class Tally:
    """Problems of one kind, with the first few places they occurred."""

    count: int = 0
    places: list[str] = field(default_factory=list)

    def add(self, place: str) -> None:
        """Count one occurrence, remembering where if it is among the first few."""
        self.count += 1
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


def malformed(message: str) -> Reason:
    """Build a ``json_malformed`` reason."""
    return reason(ReasonCode.JSON_MALFORMED, message)


def too_large(what: str, err: RecordTooLargeError) -> Reason:
    """Build the ``json_wrong_shape`` reason for a record over the size limit."""
    return reason(
        ReasonCode.JSON_WRONG_SHAPE,
        f"{what} is larger than the limit of {err.limit:,} bytes for one record. "
        "Send many small objects (an array or JSON Lines) instead.",
    )
