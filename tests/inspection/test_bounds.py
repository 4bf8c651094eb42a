"""Bounded text: whatever the file holds, a verdict stays small and quotes no values."""

from __future__ import annotations

import json

from support.inspection import codes, inspect_bytes

from scalper_inspection import Limits, Rules
from scalper_inspection.reasons import MAX_MESSAGE_CHARS, MAX_REASONS, NAME_SHOWN, ReasonCode, reason


def test_five_100000_character_duplicate_header_names_give_one_bounded_reason() -> None:
    names = [letter * 100_000 for letter in "abcde"] * 2
    data = (",".join(names) + "\n" + ",".join(["1"] * 10) + "\n").encode()
    result, _ = inspect_bytes(data, "text/csv")
    assert codes(result) == ["csv_no_header"]
    assert len(result.reasons[0].message) <= MAX_MESSAGE_CHARS
    assert "a" * (NAME_SHOWN + 1) not in result.reasons[0].message
    assert len(json.dumps([r.model_dump() for r in result.reasons])) < 2_000


def test_every_reason_message_is_cut_to_the_maximum_length() -> None:
    built = reason(ReasonCode.CSV_MALFORMED, "x" * 100_000)
    assert len(built.message) == MAX_MESSAGE_CHARS
    assert built.message.endswith("...")


def test_a_verdict_lists_at_most_max_reasons_and_says_how_many_more() -> None:
    required = {f"column_{index}": "string" for index in range(40)}
    rules = Rules.model_validate({"csv": {"required_columns": required}})
    result, _ = inspect_bytes(b"id\n1\n", "text/csv", rules=rules)
    assert len(result.reasons) == MAX_REASONS
    assert result.reasons[-1].code == "reasons_truncated"
    assert "21 more reasons" in result.reasons[-1].message


def test_long_column_names_are_cut_in_locations() -> None:
    name = "c" * 1000
    result, _ = inspect_bytes(
        b"id\n1\n", "text/csv", rules=Rules.model_validate({"csv": {"required_columns": {name: "string"}}})
    )
    location = result.reasons[0].location
    assert location is not None and location.column is not None
    assert len(location.column) <= NAME_SHOWN + 3


def test_a_long_duplicate_json_key_is_cut_in_the_message() -> None:
    key = "k" * 100_000
    result, _ = inspect_bytes(f'{{"{key}": 1, "{key}": 2}}\n'.encode(), "application/json")
    assert codes(result) == ["json_malformed"]
    assert len(result.reasons[0].message) <= MAX_MESSAGE_CHARS


def test_a_nul_byte_past_the_sniffed_window_is_invalid_encoding_with_its_place() -> None:
    row = b"1,abcdefghij\n"
    head = b"id,name\n" + row * (70_000 // len(row))
    data = head + b"2,ab\x00cd\n"
    result, _ = inspect_bytes(data, "text/csv")
    assert codes(result) == ["invalid_encoding"]
    assert "NUL byte" in result.reasons[0].message
    assert f"byte offset {len(head) + 4:,}" in result.reasons[0].message
    assert result.reasons[0].location is not None and result.reasons[0].location.line == head.count(b"\n") + 1


def test_a_nul_byte_in_json_lines_past_the_window_is_invalid_encoding() -> None:
    data = b'{"a": 1}\n' * 10_000 + b'{"a": "\x00"}\n'
    result, _ = inspect_bytes(data, "application/x-ndjson", limits=Limits(chunk_size=4096))
    assert codes(result) == ["invalid_encoding"]
