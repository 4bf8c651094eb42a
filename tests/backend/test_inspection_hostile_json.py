"""Hostile JSON: deep nesting, lone surrogates and duplicate keys are quarantined, never raised."""

from __future__ import annotations

import time
import tracemalloc

import pytest
from support.inspection import codes, inspect_bytes, message

from scalper_inspection import ContentType, Inspection, Limits, ReasonCode

# 200 KB of nesting took minutes and gigabytes when ijson built a path per event.
NESTING_BYTES = 200_000
TIME_LIMIT_S = 2.0
PEAK_LIMIT = 32 * 1024 * 1024


def inspect(data: bytes, content_type: ContentType = "application/json", limits: Limits | None = None) -> Inspection:
    return inspect_bytes(data, content_type, limits=limits)[0]


def inspect_with_output(data: bytes, content_type: ContentType = "application/json") -> tuple[Inspection, bytes]:
    return inspect_bytes(data, content_type)


def inspect_traced(data: bytes) -> tuple[Inspection, float, int]:
    """Inspect under tracemalloc; return the result, the seconds taken and the peak bytes."""
    tracemalloc.start()
    try:
        started = time.perf_counter()
        result = inspect(data)
        elapsed = time.perf_counter() - started
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    return result, elapsed, peak


def nested(opener: bytes, closer: bytes, total_bytes: int) -> bytes:
    """`opener` repeated, then as many `closer`s, about `total_bytes` long in all."""
    count = total_bytes // (len(opener) + len(closer))
    return opener * count + b"1" * (opener.endswith(b":")) + closer * count


# --- nesting depth -----------------------------------------------------------------------


@pytest.mark.parametrize(
    "data",
    [
        pytest.param(nested(b"[", b"]", NESTING_BYTES), id="brackets"),
        pytest.param(nested(b'{"a":', b"}", NESTING_BYTES), id="objects"),
        pytest.param(b"[" + nested(b'{"a":', b"}", NESTING_BYTES) + b"]", id="objects-in-an-array-item"),
        pytest.param(b"[\n" + nested(b"[", b"]", NESTING_BYTES) + b"\n]", id="brackets-in-an-array-item"),
    ],
)
def test_200kb_of_nesting_is_malformed_in_bounded_time_and_memory(data: bytes) -> None:
    result, elapsed, peak = inspect_traced(data)
    assert codes(result) == ["json_malformed"]
    assert "nested deeper than 64 levels" in message(result, ReasonCode.JSON_MALFORMED)
    assert result.size == len(data)
    assert elapsed < TIME_LIMIT_S, f"{elapsed:.2f} s"
    assert peak < PEAK_LIMIT, f"peak {peak / 2**20:.1f} MiB"


def test_unclosed_deep_object_is_malformed_not_raised() -> None:
    result = inspect(b'{"a":' * 5000)
    assert codes(result) == ["json_malformed"]
    assert message(result, ReasonCode.JSON_MALFORMED) == "The JSON document is nested deeper than 64 levels at line 1."


def test_deep_array_inside_an_array_item_names_the_item_and_line() -> None:
    result = inspect(b'[\n  {"id": 1},\n  {"a": ' + b"[" * 5000 + b"]" * 5000 + b"}\n]")
    assert message(result, ReasonCode.JSON_MALFORMED) == "Array item 2 is nested deeper than 64 levels at line 3."


def test_json_lines_line_nested_1000_deep_is_malformed_not_raised() -> None:
    data = b'{"id": 1}\n{"a": ' + b"[" * 1000 + b"]" * 1000 + b"}\n"
    result = inspect(data, "application/x-ndjson")
    assert codes(result) == ["json_malformed"]
    assert "line 2 (nested deeper than 64 levels)" in message(result, ReasonCode.JSON_MALFORMED)


def test_json_lines_line_nested_just_past_the_limit_is_malformed() -> None:
    data = b'{"id": 1}\n' + b'{"a":' * 65 + b"1" + b"}" * 65 + b"\n"
    result = inspect(data, "application/x-ndjson")
    assert "line 2 (nested deeper than 64 levels)" in message(result, ReasonCode.JSON_MALFORMED)


def test_json_lines_line_nested_exactly_to_the_limit_is_accepted() -> None:
    assert inspect(b'{"a":' * 64 + b"1" + b"}" * 64 + b"\n", "application/x-ndjson").ok


def test_array_nested_exactly_to_the_limit_is_accepted() -> None:
    # The top-level array is one level, so each item may nest 63 more.
    assert inspect(b"[" + b'{"a":' * 63 + b"1" + b"}" * 63 + b"]").ok


def test_array_nested_just_past_the_limit_is_malformed() -> None:
    result = inspect(b"[" + b'{"a":' * 64 + b"1" + b"}" * 64 + b"]")
    assert "nested deeper than 64 levels" in message(result, ReasonCode.JSON_MALFORMED)


def test_depth_limit_is_configurable() -> None:
    result = inspect(b'[{"a": [1]}]', limits=Limits(max_depth=2))
    assert message(result, ReasonCode.JSON_MALFORMED) == "Array item 1 is nested deeper than 2 levels at line 1."


def test_limits_reject_a_zero_depth() -> None:
    with pytest.raises(ValueError, match="positive"):
        Limits(max_depth=0)


def test_deeply_nested_first_line_declared_as_csv_is_a_type_mismatch() -> None:
    result = inspect(b"[1," * 20_000 + b"\n", "text/csv")
    assert codes(result) == ["type_mismatch"]


# --- escaped lone surrogates -------------------------------------------------------------


@pytest.mark.parametrize(
    ("data", "content_type"),
    [
        pytest.param(b'{"a": "\\ud800"}', "application/json", id="value"),
        pytest.param(b'{"\\ud800": 1}', "application/json", id="key"),
        pytest.param(b'{"id": 1}\n{"a": "x\\ud800y"}\n', "application/x-ndjson", id="json-lines"),
        pytest.param(b'[{"a": "\\ud800"}]', "application/json", id="array-item"),
        pytest.param(b'{\n  "a": "\\ud800"\n}\n', "application/json", id="pretty-printed"),
    ],
)
def test_escaped_lone_surrogate_is_invalid_encoding(data: bytes, content_type: ContentType) -> None:
    result = inspect(data, content_type)
    assert codes(result) == ["invalid_encoding"]
    text = message(result, ReasonCode.INVALID_ENCODING)
    assert "escaped lone surrogate" in text
    assert "(\\ud800)" in text
    assert "not valid Unicode" in text


@pytest.mark.parametrize(
    "data",
    [
        pytest.param(b'[{"a": "\\udc00"}]', id="lone-low-half"),
        pytest.param(b'[{"a": "\\uD800\\u0041"}]', id="high-half-then-another-escape"),
        pytest.param(b'[{"a": "\\ud800"}]', id="high-half-at-the-end-of-a-string"),
    ],
)
def test_lone_surrogates_yajl_would_mangle_are_invalid_encoding(data: bytes) -> None:
    assert codes(inspect(data)) == ["invalid_encoding"]


def test_lone_surrogate_message_names_the_line_and_not_the_content() -> None:
    result = inspect(b'[\n  {"name": "SecretPatientName"},\n  {"name": "Secret\\ud800"}\n]')
    text = message(result, ReasonCode.INVALID_ENCODING)
    assert "line 3" in text
    assert "Secret" not in text


def test_surrogate_pair_escape_is_one_character() -> None:
    result, output = inspect_with_output(b'[{"a": "\\ud83d\\ude00"}]')
    assert result.ok
    assert output == '{"a":"\U0001f600"}\n'.encode()


def test_escaped_backslash_before_u_is_not_a_surrogate() -> None:
    result, output = inspect_with_output(b'[{"a": "C:\\\\ud800"}]')
    assert result.ok
    assert output == b'{"a":"C:\\\\ud800"}\n'


def test_surrogate_pair_cut_by_a_read_boundary_is_still_one_character() -> None:
    data = b'[{"a": "' + b"x" * 500 + b'\\ud83d\\ude00"}]'
    for chunk_size in range(505, 520):
        limits = Limits(chunk_size=chunk_size, sniff_size=64)
        assert inspect(data, limits=limits).ok, chunk_size


def test_lone_surrogate_cut_by_a_read_boundary_is_found() -> None:
    data = b'[{"a": "' + b"x" * 500 + b'\\ud800\\u0041"}]'
    for chunk_size in range(505, 520):
        limits = Limits(chunk_size=chunk_size, sniff_size=64)
        assert codes(inspect(data, limits=limits)) == ["invalid_encoding"], chunk_size


def test_json_lines_report_every_line_with_a_lone_surrogate() -> None:
    data = b'{"a": "\\ud800"}\n{"a": 1}\n{"a": "\\udfff"}\n'
    result = inspect(data, "application/jsonl")
    assert "2 lines of 3 hold an escaped lone surrogate" in message(result, ReasonCode.INVALID_ENCODING)
    assert "line 1 (\\ud800), line 3 (\\udfff)" in message(result, ReasonCode.INVALID_ENCODING)


# --- duplicate keys ----------------------------------------------------------------------


def test_duplicate_key_in_an_array_item_is_malformed_naming_item_line_and_key() -> None:
    result = inspect(b'[\n  {"id": 1},\n  {"id": 2, "id": 3}\n]')
    assert codes(result) == ["json_malformed"]
    text = message(result, ReasonCode.JSON_MALFORMED)
    assert "item 2 at line 3 (the key 'id' appears more than once)" in text


def test_duplicate_key_in_a_single_object_is_malformed() -> None:
    result = inspect(b'{\n  "a": 1,\n  "a": 2\n}\n')
    assert codes(result) == ["json_malformed"]
    assert "The JSON document is not well-formed JSON at line 3 (the key 'a' appears more than once)" in message(
        result, ReasonCode.JSON_MALFORMED
    )


def test_duplicate_key_in_a_minified_single_object_is_malformed() -> None:
    result = inspect(b'{"a": 1, "a": 2}')
    assert codes(result) == ["json_malformed"]
    assert "line 1 (the key 'a' appears more than once)" in message(result, ReasonCode.JSON_MALFORMED)


def test_duplicate_key_in_a_json_lines_line_is_malformed_naming_the_line() -> None:
    result = inspect(b'{"a": 1}\n{"a": 1, "b": 2, "a": 3}\n', "application/x-ndjson")
    assert codes(result) == ["json_malformed"]
    assert "line 2 (the key 'a' appears more than once)" in message(result, ReasonCode.JSON_MALFORMED)


@pytest.mark.parametrize(
    ("data", "content_type"),
    [
        pytest.param(b'[{"v": {"x": 1, "x": 2}}]', "application/json", id="array-item"),
        pytest.param(b'{\n"v": [{"x": 1, "x": 2}]\n}', "application/json", id="single-object"),
        pytest.param(b'{"v": {"w": {"x": 1, "x": 2}}}\n', "application/x-ndjson", id="json-lines"),
    ],
)
def test_duplicate_key_in_a_nested_object_is_malformed(data: bytes, content_type: ContentType) -> None:
    result = inspect(data, content_type)
    assert codes(result) == ["json_malformed"]
    assert "'x'" in message(result, ReasonCode.JSON_MALFORMED)


def test_same_key_in_different_objects_is_not_a_duplicate() -> None:
    assert inspect(b'[{"a": 1, "b": {"a": 2}}, {"a": 3}]').ok


def test_long_duplicate_key_is_cut_to_40_characters_in_the_message() -> None:
    key = b"k" * 100
    result = inspect(b'[{"' + key + b'": 1, "' + key + b'": 2}]')
    assert "'" + "k" * 40 + "...'" in message(result, ReasonCode.JSON_MALFORMED)


# --- declared JSON Lines -----------------------------------------------------------------


@pytest.mark.parametrize("content_type", ["application/x-ndjson", "application/jsonl"])
def test_declared_json_lines_of_scalars_are_wrong_shape_line_by_line(content_type: ContentType) -> None:
    result = inspect(b"1\n2\n", content_type)
    assert codes(result) == ["json_wrong_shape"]
    assert "line 1 (a number), line 2 (a number)" in message(result, ReasonCode.JSON_WRONG_SHAPE)


def test_declared_json_lines_holding_one_object_line_is_accepted() -> None:
    assert inspect(b'{"id": 1}', "application/jsonl").ok


def test_declared_json_lines_holding_a_pretty_printed_object_is_accepted() -> None:
    assert inspect(b'{\n  "id": 1\n}\n', "application/x-ndjson").ok


def test_scalars_declared_as_application_json_keep_the_document_reading() -> None:
    result = inspect(b"42", "application/json")
    assert codes(result) == ["json_wrong_shape"]
    assert "top-level JSON value" in message(result, ReasonCode.JSON_WRONG_SHAPE)
