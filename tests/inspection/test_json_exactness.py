"""JSON numbers are never silently rounded; the fast paths keep every check of the slow one."""

from __future__ import annotations

import json

import pytest
from support.inspection import codes, inspect_bytes


@pytest.mark.parametrize(
    "number",
    [
        "0." + "1234567890" * 10_000,  # a 100,000-digit decimal
        "1" * 100_000,  # a 100,000-digit integer
        "0.12345678901234567",
        "18446744073709551616",  # 2**64
        "-9223372036854775809",  # below -2**63
        "1e400",
        "1e-400",
    ],
)
@pytest.mark.parametrize("layout", ["lines", "array", "document"])
def test_a_number_that_would_lose_digits_is_refused_not_rounded(number: str, layout: str) -> None:
    record = f'{{"id": 1, "value": {number}}}'
    data = {"lines": record + "\n" + record + "\n", "array": f"[{record}, {record}]", "document": record}[layout]
    result, _ = inspect_bytes(data.encode(), "application/json")
    assert codes(result) == ["json_number_unrepresentable"], result.reasons
    assert number[:30] not in result.reasons[0].message


@pytest.mark.parametrize(
    ("number", "written"),
    [
        ("1.10", "1.1"),
        ("0.1000000000000000000", "0.1"),
        ("1234567890123456", "1234567890123456"),
        ("18446744073709551615", "18446744073709551615"),
        ("-9223372036854775808", "-9223372036854775808"),
        ("1e300", "1e300"),
        ("0.000001", "1e-6"),
    ],
)
def test_numbers_a_double_or_64_bit_integer_carries_exactly_pass(number: str, written: str) -> None:
    result, output = inspect_bytes(f'{{"v": {number}}}\n'.encode(), "application/json")
    assert result.ok, result.reasons
    assert json.loads(output) == {"v": json.loads(written)}


def test_a_repeated_key_deep_in_a_long_array_of_plain_objects_is_found() -> None:
    items = [b'{"id": %d, "name": "x"}' % index for index in range(5000)]
    items[3210] = b'{"id": 3210, "id": 3211}'
    result, _ = inspect_bytes(b"[" + b",\n".join(items) + b"]", "application/json")
    assert codes(result) == ["json_malformed"]
    assert "item 3,211 at line 3,211 (the key 'id' appears more than once)" in result.reasons[0].message


def test_a_lone_surrogate_deep_in_a_long_array_is_found() -> None:
    items = [b'{"id": %d}' % index for index in range(5000)]
    items[4000] = b'{"id": "\\ud800"}'
    result, _ = inspect_bytes(b"[" + b",".join(items) + b"]", "application/json")
    assert codes(result) == ["invalid_encoding"]
    assert "item 4,001" in result.reasons[0].message


def test_keys_with_spaces_before_the_colon_are_still_checked_for_repeats() -> None:
    result, _ = inspect_bytes(b'[{"a" : 1, "a" : 2}]', "application/json")
    assert codes(result) == ["json_malformed"]


def test_a_key_count_fooled_by_a_colon_in_a_string_still_gets_the_exact_check() -> None:
    # '":' inside a value inflates the cheap count, which sends the record to the exact path.
    result, output = inspect_bytes(b'[{"a": "\\":", "b": 1}]', "application/json")
    assert result.ok
    assert json.loads(output) == {"a": '":', "b": 1}


def test_nested_records_in_an_array_are_parsed_one_by_one_and_checked() -> None:
    items = [b'{"id": %d, "vitals": {"hr": 70, "hr": 71}}' % index for index in range(3)]
    result, _ = inspect_bytes(b"[" + b",".join(items) + b"]", "application/json")
    assert codes(result) == ["json_malformed"]
    assert "3 array items of 3" in result.reasons[0].message
