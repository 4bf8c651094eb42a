"""Specification of `inspect_stream`: verdicts, reasons and output, one behaviour per test."""

from __future__ import annotations

import hashlib
import io
import json

import pytest
import support.inspection as support
from pydantic import ValidationError
from support.inspection import codes, inspect_bytes, message

from scalper_inspection import ContentType, Declared, Inspection, Limits, ReasonCode, inspect_stream

PNG_1X1 = bytes.fromhex(
    "89504e470d0a1a0a0000000d4948445200000001000000010800000000"
    "3a7e9b550000000a49444154789c6368000000820081dd4d2ee90000000049454e44ae426082"
)


def declared_for(data: bytes, content_type: ContentType = "text/csv") -> Declared:
    return support.declared_for(data, content_type)


def inspect(data: bytes, content_type: ContentType = "text/csv", declared: Declared | None = None) -> Inspection:
    return inspect_bytes(data, content_type, declared=declared)[0]


def inspect_with_output(data: bytes, content_type: ContentType = "text/csv") -> tuple[Inspection, list[str]]:
    result, output = inspect_bytes(data, content_type)
    return result, output.decode("utf-8").splitlines(keepends=True)


# --- the result ------------------------------------------------------------------------


def test_valid_csv_is_ok_with_counts_hash_and_size() -> None:
    data = b"id,name\n1,Alma\n2,Tobias\n"
    result = inspect(data)
    assert result.ok
    assert result.reasons == ()
    assert (result.size, result.sha256) == (len(data), hashlib.sha256(data).hexdigest())
    assert (result.detected_type, result.rows, result.columns) == ("csv", 2, 2)
    assert result.output_format == "jsonl"


def test_output_size_is_the_number_of_bytes_written_to_the_sink() -> None:
    data = b"id,name\n1,Jos\xc3\xa9\n"
    sink = io.BytesIO()
    result = inspect_stream(io.BytesIO(data), declared_for(data), sink)
    assert result.output_size == len(sink.getvalue()) == len('{"id":"1","name":"José"}\n'.encode())


def test_inspection_is_frozen() -> None:
    result = inspect(b"id\n1\n")
    with pytest.raises(AttributeError):
        result.rows = 3


def test_declared_normalises_upper_case_sha256() -> None:
    declared = Declared(size=1, sha256="AB" * 32, content_type="text/csv")
    assert declared.sha256 == "ab" * 32


def test_declared_rejects_an_unsupported_content_type() -> None:
    with pytest.raises(ValidationError):
        Declared(size=1, sha256="ab" * 32, content_type="text/plain")


def test_limits_reject_a_zero_chunk_size() -> None:
    with pytest.raises(ValueError, match="positive"):
        Limits(chunk_size=0)


# --- integrity: empty, size, checksum ---------------------------------------------------


def test_empty_file_is_quarantined_as_empty_file_only() -> None:
    result = inspect(b"", "text/csv")
    assert codes(result) == ["empty_file"]
    assert (result.detected_type, result.rows, result.columns) == ("empty", None, None)


def test_empty_file_declared_with_other_size_and_hash_reports_all_three() -> None:
    declared = Declared(size=10, sha256="0" * 64, content_type="application/json")
    result = inspect(b"", declared=declared)
    assert codes(result) == ["size_mismatch", "checksum_mismatch", "empty_file"]


def test_size_mismatch_names_both_sizes() -> None:
    data = b"id\n1\n"
    declared = Declared(size=1000, sha256=hashlib.sha256(data).hexdigest(), content_type="text/csv")
    result = inspect(data, declared=declared)
    assert codes(result) == ["size_mismatch"]
    assert "5 bytes" in message(result, ReasonCode.SIZE_MISMATCH)
    assert "1,000 bytes" in message(result, ReasonCode.SIZE_MISMATCH)


def test_checksum_mismatch_is_reported_for_otherwise_valid_content() -> None:
    data = b"id\n1\n"
    result = inspect(data, declared=Declared(size=len(data), sha256="f" * 64, content_type="text/csv"))
    assert codes(result) == ["checksum_mismatch"]


def test_ragged_csv_with_wrong_checksum_reports_both() -> None:
    data = b"a,b\n1\n"
    result = inspect(data, declared=Declared(size=len(data), sha256="f" * 64, content_type="text/csv"))
    assert codes(result) == ["checksum_mismatch", "csv_ragged_rows"]


def test_bytes_after_a_parse_error_are_still_hashed_and_counted() -> None:
    data = b'a,b\n1,"unterminated\n' + b"x,y\n" * 50_000
    limits = Limits(chunk_size=4096)
    result = inspect_stream(io.BytesIO(data), declared_for(data), io.BytesIO(), limits)
    assert codes(result) == ["csv_malformed"]
    assert (result.size, result.sha256) == (len(data), hashlib.sha256(data).hexdigest())


def test_binary_file_is_hashed_to_the_end() -> None:
    data = PNG_1X1 + bytes(100_000)
    result = inspect_stream(io.BytesIO(data), declared_for(data), io.BytesIO(), Limits(chunk_size=1000))
    assert result.sha256 == hashlib.sha256(data).hexdigest()
    assert result.size == len(data)


def test_a_source_returning_short_reads_is_read_completely() -> None:
    class Trickle(io.RawIOBase):
        def __init__(self, data: bytes) -> None:
            self._data = io.BytesIO(data)

        def read(self, size: int = -1) -> bytes:
            return self._data.read(min(size, 7) if size > 0 else 7)

    data = b"id,name\n" + b"".join(b"%d,n%d\n" % (i, i) for i in range(1000))
    result = inspect_stream(Trickle(data), declared_for(data), io.BytesIO())
    assert result.ok
    assert result.rows == 1000


# --- type_mismatch ------------------------------------------------------------------------


def test_png_bytes_named_csv_are_a_type_mismatch_only() -> None:
    result = inspect(PNG_1X1, "text/csv")
    assert codes(result) == ["type_mismatch"]
    assert result.detected_type == "png"
    assert "PNG image" in message(result, ReasonCode.TYPE_MISMATCH)
    assert (result.rows, result.columns) == (None, None)


@pytest.mark.parametrize(
    ("data", "detected"),
    [
        (b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj\n", "pdf"),
        (b"\xff\xd8\xff\xe0\x00\x10JFIF\x00", "jpeg"),
        (b"\x1f\x8b\x08\x00\x00\x00\x00\x00", "gzip"),
        (b"PK\x03\x04\x14\x00\x00\x00", "zip"),
        (b"\x00" * 128 + b"DICM\x02\x00\x00\x00", "dicom"),
        (b"id,name\n1,\x00\x01\x02\n", "binary"),
    ],
)
def test_known_binary_kinds_are_detected_and_quarantined(data: bytes, detected: str) -> None:
    result = inspect(data, "application/json")
    assert codes(result) == ["type_mismatch"]
    assert result.detected_type == detected


def test_json_lines_declared_as_csv_is_a_type_mismatch() -> None:
    result = inspect(b'{"id": 1}\n{"id": 2}\n', "text/csv")
    assert codes(result) == ["type_mismatch"]
    assert result.detected_type == "json"


def test_json_array_declared_as_csv_is_a_type_mismatch() -> None:
    assert codes(inspect(b'[\n  {"id": 1}\n]\n', "text/csv")) == ["type_mismatch"]


def test_csv_declared_as_json_is_a_type_mismatch() -> None:
    result = inspect(b"id,name\n1,Alma\n", "application/json")
    assert codes(result) == ["type_mismatch"]
    assert result.detected_type == "csv"


def test_csv_header_starting_with_a_bracket_is_still_csv() -> None:
    result = inspect(b"[id],name\n1,Alma\n", "text/csv")
    assert result.ok


# --- encoding ------------------------------------------------------------------------------


def test_latin1_csv_is_invalid_encoding_with_line_and_offset() -> None:
    data = "id,name\n1,Alma\n2,José\n".encode("latin-1")
    result = inspect(data)
    assert codes(result) == ["invalid_encoding"]
    assert "line 3" in message(result, ReasonCode.INVALID_ENCODING)
    offset = data.index("é".encode("latin-1"))
    assert f"byte offset {offset}" in message(result, ReasonCode.INVALID_ENCODING)


def test_latin1_json_is_invalid_encoding_not_malformed() -> None:
    result = inspect('[{"name": "José"}]'.encode("latin-1"), "application/json")
    assert codes(result) == ["invalid_encoding"]


def test_latin1_json_lines_is_invalid_encoding() -> None:
    result = inspect('{"a": 1}\n{"name": "José"}\n'.encode("latin-1"), "application/x-ndjson")
    assert codes(result) == ["invalid_encoding"]
    assert "line 2" in message(result, ReasonCode.INVALID_ENCODING)


def test_utf8_sequence_cut_off_at_the_end_is_invalid_encoding() -> None:
    assert codes(inspect(b"id,name\n1,Jos\xc3")) == ["invalid_encoding"]


def test_utf16_text_is_invalid_encoding_not_binary() -> None:
    data = "id,name\r\n1,Alma\r\n".encode("utf-16")
    result = inspect(data)
    assert codes(result) == ["invalid_encoding"]
    assert "UTF-16" in message(result, ReasonCode.INVALID_ENCODING)


def test_utf8_bom_is_accepted_and_stripped_from_csv() -> None:
    result, lines = inspect_with_output(b"\xef\xbb\xbfid,name\n1,Alma\n")
    assert result.ok
    assert lines == ['{"id":"1","name":"Alma"}\n']


def test_utf8_bom_is_accepted_and_stripped_from_json() -> None:
    result, lines = inspect_with_output(b'\xef\xbb\xbf[{"id": 1}]', "application/json")
    assert result.ok
    assert lines == ['{"id":1}\n']


def test_non_ascii_text_is_written_unescaped() -> None:
    _, lines = inspect_with_output("name\nZoë Ødegård\n".encode())
    assert lines == ['{"name":"Zoë Ødegård"}\n']


# --- CSV -----------------------------------------------------------------------------------


def test_csv_rows_become_objects_keyed_by_header_with_string_values() -> None:
    result, lines = inspect_with_output(b"id,name,age\n1,Alma,42\n2,Tobias,\n")
    assert result.ok
    assert lines == ['{"id":"1","name":"Alma","age":"42"}\n', '{"id":"2","name":"Tobias","age":""}\n']


def test_csv_with_crlf_line_endings_is_valid() -> None:
    result, lines = inspect_with_output(b"id,name\r\n1,Alma\r\n2,Tobias\r\n")
    assert result.ok
    assert lines == ['{"id":"1","name":"Alma"}\n', '{"id":"2","name":"Tobias"}\n']


def test_csv_quoted_field_with_embedded_newline_is_one_value() -> None:
    result, lines = inspect_with_output(b'id,note\n1,"line one\nline two"\n2,"say ""hi"", ok"\n')
    assert result.ok
    assert result.rows == 2
    assert [json.loads(line) for line in lines] == [
        {"id": "1", "note": "line one\nline two"},
        {"id": "2", "note": 'say "hi", ok'},
    ]


def test_csv_blank_lines_including_trailing_ones_are_skipped() -> None:
    result = inspect(b"id,name\n1,Alma\n\n2,Tobias\n\n\r\n")
    assert result.ok
    assert result.rows == 2


def test_csv_without_trailing_newline_is_valid() -> None:
    assert inspect(b"id,name\n1,Alma").ok


def test_csv_with_ragged_rows_is_quarantined_with_row_numbers() -> None:
    result = inspect(b"id,name,age\n1,Alma,42\n2,Tobias\n3,Mei,31\n4,Rafael,29,extra\n")
    assert codes(result) == ["csv_ragged_rows"]
    assert message(result, ReasonCode.CSV_RAGGED_ROWS) == (
        "2 rows of 4 do not have the header's 3 fields: line 3 (2 fields), line 5 (4 fields)."
    )


def test_csv_ragged_rows_message_lists_the_first_five_and_counts_the_rest() -> None:
    data = b"a,b\n" + b"1\n" * 8
    result = inspect(data)
    text = message(result, ReasonCode.CSV_RAGGED_ROWS)
    assert text.startswith("8 rows of 8 do not")
    assert "line 2 (1 field), line 3 (1 field), line 4 (1 field), line 5 (1 field), line 6 (1 field)" in text
    assert "and 3 more" in text


def test_csv_ragged_row_after_multiline_field_is_reported_at_its_first_line() -> None:
    result = inspect(b'id,note\n1,"a\nb"\n2\n')
    assert "line 4 (1 field)" in message(result, ReasonCode.CSV_RAGGED_ROWS)


def test_csv_with_only_blank_lines_has_no_header() -> None:
    result = inspect(b"\n\n\r\n")
    assert codes(result) == ["csv_no_header"]


def test_csv_header_with_an_empty_column_name_is_csv_no_header() -> None:
    result = inspect(b"id,,age\n1,Alma,42\n")
    assert codes(result) == ["csv_no_header"]
    assert "column 2 has no name" in message(result, ReasonCode.CSV_NO_HEADER)


def test_csv_header_with_duplicate_names_is_csv_no_header_naming_them() -> None:
    result = inspect(b"id,name,id\n1,Alma,2\n")
    assert codes(result) == ["csv_no_header"]
    assert "'id'" in message(result, ReasonCode.CSV_NO_HEADER)


def test_csv_with_header_only_has_no_rows() -> None:
    result = inspect(b"id,name\n\n")
    assert codes(result) == ["csv_no_rows"]
    assert (result.rows, result.columns) == (0, 2)


def test_csv_with_unterminated_quote_is_malformed() -> None:
    result = inspect(b'id,name\n1,Alma\n2,"Tobias\n3,Mei\n')
    assert codes(result) == ["csv_malformed"]
    assert "line 3" in message(result, ReasonCode.CSV_MALFORMED)


def test_csv_with_text_after_a_closing_quote_is_malformed() -> None:
    assert codes(inspect(b'id,name\n1,"Alma"x\n')) == ["csv_malformed"]


def test_csv_field_longer_than_the_csv_modules_default_limit_is_accepted() -> None:
    result, lines = inspect_with_output(b'id,note\n1,"' + b"x" * 300_000 + b'"\n')
    assert result.ok, result.reasons
    assert json.loads(lines[0]) == {"id": "1", "note": "x" * 300_000}


def test_csv_field_longer_than_the_record_limit_is_malformed_with_the_limit() -> None:
    data = b"id,note\n1," + b"x" * 5000 + b"\n"
    limits = Limits(chunk_size=512, sniff_size=256, max_record_bytes=1000)
    result = inspect_stream(io.BytesIO(data), declared_for(data), io.BytesIO(), limits)
    assert codes(result) == ["csv_malformed"]
    assert "longer than the limit of 1,000 characters" in message(result, ReasonCode.CSV_MALFORMED)


def test_csv_row_longer_than_the_record_limit_is_malformed() -> None:
    data = b'id,note\n1,"' + b"x\n" * 2000 + b'"\n'
    limits = Limits(chunk_size=512, sniff_size=256, max_record_bytes=1000)
    result = inspect_stream(io.BytesIO(data), declared_for(data), io.BytesIO(), limits)
    assert codes(result) == ["csv_malformed"]
    assert "1,000 characters" in message(result, ReasonCode.CSV_MALFORMED)


def test_csv_ragged_rows_found_before_a_parse_error_are_kept() -> None:
    result = inspect(b'a,b\n1\n2,"open\n')
    assert codes(result) == ["csv_malformed", "csv_ragged_rows"]


def test_csv_messages_do_not_quote_cell_values() -> None:
    result = inspect(b'id,name\n1,SecretPatientName,extra\n2,"OtherSecret\n')
    assert result.reasons
    assert all("Secret" not in reason.message for reason in result.reasons)


# --- JSON shapes -----------------------------------------------------------------------------


def test_json_array_of_objects_writes_one_line_per_item() -> None:
    data = b'[\n  {"id": 1, "name": "Alma"},\n  {"id": 2, "tags": ["a", "b"], "score": 1.5, "x": null}\n]\n'
    result, lines = inspect_with_output(data, "application/json")
    assert result.ok
    assert (result.detected_type, result.rows, result.columns) == ("json", 2, 5)
    assert lines == ['{"id":1,"name":"Alma"}\n', '{"id":2,"tags":["a","b"],"score":1.5,"x":null}\n']


def test_single_pretty_printed_json_object_writes_one_line() -> None:
    data = b'{\n  "id": 1,\n  "vitals": {"hr": 72, "spo2": 98}\n}\n'
    result, lines = inspect_with_output(data, "application/json")
    assert result.ok
    assert (result.detected_type, result.rows) == ("json", 1)
    assert lines == ['{"id":1,"vitals":{"hr":72,"spo2":98}}\n']


def test_single_minified_json_object_writes_one_line() -> None:
    result, lines = inspect_with_output(b'{"id":1,"name":"Alma"}', "application/json")
    assert result.ok
    assert (result.detected_type, result.rows) == ("json", 1)
    assert lines == ['{"id":1,"name":"Alma"}\n']


@pytest.mark.parametrize("content_type", ["application/x-ndjson", "application/jsonl", "application/json"])
def test_json_lines_write_one_line_per_object(content_type: ContentType) -> None:
    data = b'{"id": 1}\n\n{"id": 2, "name": "Mei"}\r\n{"id": 3}'
    result, lines = inspect_with_output(data, content_type)
    assert result.ok
    assert (result.detected_type, result.rows, result.columns) == ("jsonl", 3, 2)
    assert lines == ['{"id":1}\n', '{"id":2,"name":"Mei"}\n', '{"id":3}\n']


def test_json_array_declared_as_ndjson_is_accepted() -> None:
    assert inspect(b'[{"id": 1}]', "application/x-ndjson").ok


def test_empty_json_array_is_wrong_shape_with_no_records() -> None:
    result = inspect(b"[ ]\n", "application/json")
    assert codes(result) == ["json_wrong_shape"]
    assert "no records" in message(result, ReasonCode.JSON_WRONG_SHAPE)


def test_json_array_of_non_objects_is_wrong_shape_naming_items() -> None:
    result = inspect(b'[{"id": 1}, 2, "three", [4], null, true]', "application/json")
    assert codes(result) == ["json_wrong_shape"]
    assert message(result, ReasonCode.JSON_WRONG_SHAPE).startswith(
        "5 array items of 6 are not objects: item 2 at line 1 (a number), item 3 at line 1 (a string), "
        "item 4 at line 1 (an array), item 5 at line 1 (null), item 6 at line 1 (a boolean)."
    )


@pytest.mark.parametrize("data", [b'"text"', b"42", b"true", b"null"])
def test_top_level_json_scalar_is_wrong_shape(data: bytes) -> None:
    result = inspect(data, "application/json")
    assert codes(result) == ["json_wrong_shape"]
    assert "top-level JSON value" in message(result, ReasonCode.JSON_WRONG_SHAPE)


def test_json_lines_with_a_non_object_line_is_wrong_shape_with_line_number() -> None:
    result = inspect(b'{"id": 1}\n[1, 2]\n{"id": 3}\n', "application/x-ndjson")
    assert codes(result) == ["json_wrong_shape"]
    assert "line 2 (an array)" in message(result, ReasonCode.JSON_WRONG_SHAPE)


def test_json_record_larger_than_the_limit_is_wrong_shape() -> None:
    data = b'[{"note": "' + b"x" * 5000 + b'"}]'
    limits = Limits(chunk_size=512, sniff_size=256, max_record_bytes=1000)
    result = inspect_stream(io.BytesIO(data), declared_for(data, "application/json"), io.BytesIO(), limits)
    assert codes(result) == ["json_wrong_shape"]
    assert "Array item 1 is larger than the limit" in message(result, ReasonCode.JSON_WRONG_SHAPE)


def test_json_lines_line_larger_than_the_limit_is_wrong_shape() -> None:
    data = b'{"id": 1}\n{"note": "' + b"x" * 5000 + b'"}\n'
    limits = Limits(chunk_size=512, sniff_size=256, max_record_bytes=1000)
    result = inspect_stream(io.BytesIO(data), declared_for(data, "application/jsonl"), io.BytesIO(), limits)
    assert codes(result) == ["json_wrong_shape"]
    assert "Line 2 is larger than the limit" in message(result, ReasonCode.JSON_WRONG_SHAPE)


# --- JSON syntax -----------------------------------------------------------------------------


def test_broken_json_array_is_malformed_with_line_and_column() -> None:
    data = b'[\n  {"id": 1},\n  {"id": 2,, }\n]\n'
    result = inspect(data, "application/json")
    assert codes(result) == ["json_malformed"]
    assert "item 2 at line 3, column 12 (Expecting property name enclosed in double quotes)" in message(
        result, ReasonCode.JSON_MALFORMED
    )


def test_json_error_far_into_a_long_line_is_located() -> None:
    data = b"[" + b'{"id": 1}, ' * 20 + b'{"id":: 2}]'
    column = data.index(b"::") + 2
    result = inspect(data, "application/json")
    assert f"line 1, column {column}" in message(result, ReasonCode.JSON_MALFORMED)


def test_truncated_json_is_malformed_at_the_end() -> None:
    result = inspect(b'[\n  {"id": 1},\n  {"id": 2', "application/json")
    assert codes(result) == ["json_malformed"]
    assert "line 3, column 11 (the JSON ends before the value is complete)" in message(
        result, ReasonCode.JSON_MALFORMED
    )


def test_trailing_garbage_after_json_is_malformed() -> None:
    result = inspect(b'[{"id": 1}]\nextra\n', "application/json")
    assert codes(result) == ["json_malformed"]
    assert "line 2" in message(result, ReasonCode.JSON_MALFORMED)


def test_broken_pretty_printed_object_is_malformed() -> None:
    result = inspect(b'{\n  "id": 1\n  "name": "Alma"\n}\n', "application/json")
    assert codes(result) == ["json_malformed"]
    assert "line 3" in message(result, ReasonCode.JSON_MALFORMED)


def test_json_lines_report_every_malformed_line() -> None:
    data = b'{"id": 1}\n{"id": 2,}\n{"id": 3}\n{"id": \n'
    result = inspect(data, "application/x-ndjson")
    assert codes(result) == ["json_malformed"]
    assert message(result, ReasonCode.JSON_MALFORMED) == (
        "2 lines of 4 are not well-formed JSON: line 2, column 10 (Expecting property name enclosed in double "
        "quotes), line 4, column 8 (Expecting value)."
    )


def test_json_lines_with_bad_and_non_object_lines_report_both() -> None:
    result = inspect(b'{"id": 1}\n{oops}\n7\n', "application/x-ndjson")
    assert codes(result) == ["json_malformed", "json_wrong_shape"]


@pytest.mark.parametrize("data", [b'[{"v": NaN}]', b'{"v": Infinity}\n{"v": 1}\n'])
def test_non_finite_numbers_are_malformed(data: bytes) -> None:
    assert codes(inspect(data, "application/json")) == ["json_malformed"]


@pytest.mark.parametrize("data", [b'[{"v": 1e400}]', b'{"v": 1e400}\n', b'{"v": -1e-400}\n'])
def test_numbers_beyond_a_double_are_unrepresentable_not_rounded(data: bytes) -> None:
    assert codes(inspect(data, "application/json")) == ["json_number_unrepresentable"]


def test_whitespace_only_json_is_malformed() -> None:
    result = inspect(b" \n\t\n", "application/json")
    assert codes(result) == ["json_malformed"]


def test_json_messages_do_not_quote_the_input() -> None:
    result = inspect(b'[{"name": "SecretPatientName",, "x": 1}]', "application/json")
    assert codes(result) == ["json_malformed"]
    assert "Secret" not in message(result, ReasonCode.JSON_MALFORMED)
