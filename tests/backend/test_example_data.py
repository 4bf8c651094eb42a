"""The demo files in ``examples/data`` get exactly the verdicts listed in ``expected.json``."""

from __future__ import annotations

import hashlib
import io
import json
from pathlib import Path

import pytest

from scalper_inspection import ContentType, Declared, inspect_stream

DATA = Path(__file__).resolve().parents[2] / "examples" / "data"
CONTENT_TYPES: dict[str, ContentType] = {
    ".csv": "text/csv",
    ".json": "application/json",
    ".jsonl": "application/x-ndjson",
}
EXPECTED: dict[str, dict[str, object]] = json.loads((DATA / "expected.json").read_text())
FILES = sorted(path.name for path in DATA.iterdir() if path.name != "expected.json")


@pytest.mark.parametrize("name", FILES)
def test_example_file_gets_its_expected_verdict(name: str) -> None:
    data = (DATA / name).read_bytes()
    declared = Declared(
        size=len(data),
        sha256=hashlib.sha256(data).hexdigest(),
        content_type=CONTENT_TYPES[Path(name).suffix],
    )
    result = inspect_stream(io.BytesIO(data), declared, io.BytesIO())
    verdict = {"state": "processed" if result.ok else "quarantined", "reasons": [r.code for r in result.reasons]}
    assert verdict == EXPECTED[name]


def test_expected_json_lists_exactly_the_example_files() -> None:
    assert sorted(EXPECTED) == FILES


def test_examples_hold_good_files_and_the_four_bad_kinds() -> None:
    good = [name for name, verdict in EXPECTED.items() if verdict["state"] == "processed"]
    bad_codes = {code for verdict in EXPECTED.values() for code in verdict["reasons"]}  # type: ignore[attr-defined]
    assert len(good) >= 2
    assert {"json_malformed", "csv_ragged_rows", "type_mismatch", "empty_file"} <= bad_codes
    assert (DATA / "empty.csv").stat().st_size == 0
