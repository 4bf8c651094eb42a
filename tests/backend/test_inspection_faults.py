"""What `inspect_stream` raises: I/O faults of the body and the sink, and nothing else."""

from __future__ import annotations

import csv
import dataclasses
import hashlib
import io
from collections.abc import Callable
from typing import Any

import pytest
import support.inspection as support
from support.inspection import inspect_bytes

from scalper_inspection import ContentType, Declared, Inspection, Limits, ReasonCode, inspect_stream, registry
from scalper_inspection.validator import Inputs


class FailingBody(io.RawIOBase):
    """A body whose reads fail once `good` bytes have been served."""

    def __init__(self, data: bytes, good: int) -> None:
        self._data = data
        self._good = good
        self._pos = 0

    def readable(self) -> bool:
        return True

    def read(self, size: int = -1) -> bytes:
        if self._pos >= self._good:
            raise ConnectionResetError("connection reset by peer")
        data = self._data[self._pos : min(self._pos + size, self._good)]
        self._pos += len(data)
        return data


class FailingSink:
    """A sink whose every write fails, like a full disk."""

    def write(self, data: bytes) -> int:
        raise OSError(28, "No space left on device")


def declared_for(data: bytes, content_type: ContentType = "application/json") -> Declared:
    return support.declared_for(data, content_type)


def inspect(data: bytes, content_type: ContentType = "application/json") -> Inspection:
    return inspect_bytes(data, content_type)[0]


def replace_validator(monkeypatch: pytest.MonkeyPatch, name: str, validate: Callable[[Inputs], Any]) -> None:
    """Have the registry's validator `name` run `validate` instead of its rules."""
    for content_type, validator in list(registry._BY_CONTENT_TYPE.items()):
        if validator.name == name:
            replaced = dataclasses.replace(validator, validate=validate)
            monkeypatch.setitem(registry._BY_CONTENT_TYPE, content_type, replaced)


def raise_recursion(*args: object) -> Any:
    """Stand in for a parser that hits an exception no rule anticipated."""
    raise RecursionError("maximum recursion depth exceeded")


def test_body_read_failure_mid_parse_propagates() -> None:
    data = b'[{"id": 1},\n' + b'{"id": 2},\n' * 1000 + b'{"id": 3}]'
    limits = Limits(chunk_size=256, sniff_size=64)
    with pytest.raises(ConnectionResetError):
        inspect_stream(FailingBody(data, good=3000), declared_for(data), io.BytesIO(), limits)


def test_body_read_failure_during_csv_parse_propagates() -> None:
    data = b"id,name\n" + b"1,Alma\n" * 1000
    limits = Limits(chunk_size=256, sniff_size=64)
    with pytest.raises(ConnectionResetError):
        inspect_stream(FailingBody(data, good=3000), declared_for(data, "text/csv"), io.BytesIO(), limits)


def test_sink_write_failure_propagates() -> None:
    data = b'[{"id": 1}]'
    with pytest.raises(OSError, match="No space left"):
        inspect_stream(io.BytesIO(data), declared_for(data), FailingSink())


def test_body_failure_wrapped_by_a_parser_still_propagates_as_itself(monkeypatch: pytest.MonkeyPatch) -> None:
    def wrapping_parser(inputs: Inputs) -> Any:
        try:
            while inputs.reader.read(64):
                pass
        except OSError as err:
            raise ValueError("parser gave up") from err

    replace_validator(monkeypatch, "json", wrapping_parser)
    data = b'[{"id": 1}]' * 100
    with pytest.raises(ConnectionResetError):
        inspect_stream(FailingBody(data, good=500), declared_for(data), io.BytesIO(), Limits(sniff_size=64))


def test_unexpected_parser_exception_becomes_a_reason(monkeypatch: pytest.MonkeyPatch) -> None:
    replace_validator(monkeypatch, "json", raise_recursion)
    result = inspect(b'[{"id": 1}]')
    assert [reason.code for reason in result.reasons] == ["json_malformed"]
    assert "RecursionError" in result.reasons[0].message


def test_a_bug_of_ours_propagates_instead_of_quarantining_a_valid_file(monkeypatch: pytest.MonkeyPatch) -> None:
    def buggy_parser(*args: object) -> Any:
        raise NameError("name 'malformed' is not defined")

    replace_validator(monkeypatch, "json", buggy_parser)
    with pytest.raises(NameError):
        inspect(b'[{"id": 1}]')


def test_running_out_of_memory_propagates_to_be_retried(monkeypatch: pytest.MonkeyPatch) -> None:
    def raise_memory(*args: object) -> Any:
        raise MemoryError

    replace_validator(monkeypatch, "json", raise_memory)
    with pytest.raises(MemoryError):
        inspect(b'[{"id": 1}]')


def test_unexpected_csv_parser_exception_is_csv_malformed(monkeypatch: pytest.MonkeyPatch) -> None:
    replace_validator(monkeypatch, "csv", raise_recursion)
    result = inspect(b"id\n1\n", "text/csv")
    assert [reason.code for reason in result.reasons] == ["csv_malformed"]


def test_unexpected_parser_exception_message_does_not_quote_it(monkeypatch: pytest.MonkeyPatch) -> None:
    def leaky_parser(*args: object) -> Any:
        raise UnicodeEncodeError("utf-8", "SecretPatientName", 0, 1, "surrogates not allowed")

    replace_validator(monkeypatch, "json", leaky_parser)
    result = inspect(b'[{"id": 1}]')
    assert "Secret" not in result.reasons[0].message


def test_file_is_still_hashed_to_the_end_after_an_unexpected_exception(monkeypatch: pytest.MonkeyPatch) -> None:
    replace_validator(monkeypatch, "json", raise_recursion)
    data = b'[{"id": 1}]' + b" " * 300_000
    result = inspect(data)
    assert (result.size, result.sha256) == (len(data), hashlib.sha256(data).hexdigest())
    assert ReasonCode.CHECKSUM_MISMATCH not in [reason.code for reason in result.reasons]


def test_csv_field_limit_is_raised_but_never_lowered() -> None:
    before = csv.field_size_limit()
    try:
        csv.field_size_limit(1 << 30)
        inspect_stream(io.BytesIO(b"id\n1\n"), declared_for(b"id\n1\n", "text/csv"), io.BytesIO(), Limits())
        assert csv.field_size_limit() == 1 << 30
    finally:
        csv.field_size_limit(before)
