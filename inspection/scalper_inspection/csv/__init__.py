"""CSV: comma-separated text with a header row, written as one JSON object per row."""

from __future__ import annotations

from scalper_inspection._sniff import looks_like_csv
from scalper_inspection.csv._rows import inspect_csv
from scalper_inspection.types import Findings
from scalper_inspection.validator import Inputs, Validator


def _validate(inputs: Inputs) -> Findings:
    return inspect_csv(inputs.text().chunks(), inputs.output, inputs.limits, inputs.rules)


VALIDATOR = Validator(
    name="csv",
    description="CSV text",
    content_types=frozenset({"text/csv"}),
    extensions=((".csv", "text/csv"),),
    text=True,
    output_format="jsonl",
    validate=_validate,
    claims=looks_like_csv,
)

__all__ = ["VALIDATOR"]
