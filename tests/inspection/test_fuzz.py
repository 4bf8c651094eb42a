"""Fuzzing the validators (hypothesis): random bytes, and real samples mutated, under each
content type, never make inspection raise, never yield anything but known reason codes,
and never take more than a bounded time per MB.

Bounded for CI: a fixed number of examples per property, no example database (the runs
are reproducible from the printed seed). ``pytest -s`` prints each property's counts
(hypothesis's statistics: ``--hypothesis-show-statistics``)."""

from __future__ import annotations

import json
import time
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pydicom.data import get_testdata_file
from support.inspection import inspect_bytes

from scalper_inspection import SUPPORTED_CONTENT_TYPES, ReasonCode

EXAMPLES = Path(__file__).resolve().parents[2] / "examples" / "data"
SAMPLES = {
    "text/csv": [EXAMPLES / "patients.csv", EXAMPLES / "ragged-rows.csv"],
    "application/json": [EXAMPLES / "scan-reports.json", EXAMPLES / "malformed.json"],
    "application/x-ndjson": [EXAMPLES / "vitals.jsonl"],
    "application/jsonl": [EXAMPLES / "vitals.jsonl"],
    "application/dicom": [Path(str(get_testdata_file("CT_small.dcm")))],
}
KNOWN_CODES = {code.value for code in ReasonCode}
# Generous: the point is a bound (no pathological input), not a speed figure; CI is shared.
SECONDS_PER_MB = 5.0
FUZZ = settings(max_examples=150, deadline=None, database=None, suppress_health_check=[HealthCheck.too_slow])

content_types = st.sampled_from(sorted(SUPPORTED_CONTENT_TYPES))


@st.composite
def mutated_samples(draw: st.DrawFn) -> tuple[str, bytes]:
    """A real sample of a content type with a few bytes flipped, inserted, cut or repeated."""
    content_type = draw(content_types)
    data = bytearray(draw(st.sampled_from(SAMPLES[content_type])).read_bytes())
    for _ in range(draw(st.integers(1, 8))):
        at = draw(st.integers(0, max(0, len(data) - 1)))
        action = draw(st.sampled_from(["flip", "insert", "cut", "repeat", "truncate"]))
        if action == "flip" and data:
            data[at] = draw(st.integers(0, 255))
        elif action == "insert":
            data[at:at] = draw(st.binary(min_size=1, max_size=16))
        elif action == "cut":
            del data[at : at + draw(st.integers(1, 32))]
        elif action == "repeat":
            data[at:at] = data[at : at + draw(st.integers(1, 64))] * draw(st.integers(1, 50))
        else:
            del data[at:]
    return content_type, bytes(data)


def _check(content_type: str, data: bytes) -> None:
    started = time.perf_counter()
    result, _ = inspect_bytes(data, content_type)  # type: ignore[arg-type]
    elapsed = time.perf_counter() - started

    assert {reason.code for reason in result.reasons} <= KNOWN_CODES
    assert result.ok == (not result.reasons)
    assert elapsed < 0.5 + SECONDS_PER_MB * len(data) / 2**20


@FUZZ
@given(content_type=content_types, data=st.binary(max_size=4096))
def test_random_bytes_under_any_content_type_get_a_verdict(content_type: str, data: bytes) -> None:
    _check(content_type, data)


@FUZZ
@given(sample=mutated_samples())
def test_mutated_samples_get_a_verdict(sample: tuple[str, bytes]) -> None:
    _check(*sample)


@FUZZ
@given(
    rows=st.lists(st.lists(st.text(max_size=12), min_size=1, max_size=6), min_size=1, max_size=30),
    delimiter=st.sampled_from([",", ";", "\t"]),
)
def test_generated_csv_text_gets_a_verdict(rows: list[list[str]], delimiter: str) -> None:
    data = "\n".join(delimiter.join(row) for row in rows).encode("utf-8", "surrogatepass")
    _check("text/csv", data)


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=20),
    lambda children: st.lists(children, max_size=5) | st.dictionaries(st.text(max_size=8), children, max_size=5),
    max_leaves=30,
)


@FUZZ
@given(values=st.lists(json_values, min_size=1, max_size=10), as_lines=st.booleans())
def test_generated_json_and_json_lines_get_a_verdict(values: list[object], as_lines: bool) -> None:
    if as_lines:
        _check("application/x-ndjson", "\n".join(json.dumps(v) for v in values).encode())
    else:
        _check("application/json", json.dumps(values).encode())
