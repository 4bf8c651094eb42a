"""`inspect_stream`: one pass over an uploaded file that yields a verdict and the output.

The file is read exactly once, in chunks, because it arrives as a network stream that
cannot be rewound and may be far larger than the Lambda's memory. Every byte is hashed and
counted, including the bytes after a problem was found, so that size and checksum reasons
are always reported next to the content ones.

Type decisions (``type_mismatch``):

* Bytes with a known magic number (PDF, PNG, JPEG, GZIP, ZIP, DICOM) or a NUL byte in the
  first `Limits.sniff_size` bytes are binary, whatever was declared. Only
  ``type_mismatch`` is reported for them (plus size/checksum): parsing a PNG as CSV would
  only pile up meaningless structural reasons.
* Declared ``text/csv`` but the first non-blank line is JSON-shaped (``{"``, ``[{``, a
  lone bracket, or a line that parses as a JSON object or array): ``type_mismatch``.
* Declared a JSON type but the first non-blank line does not start with ``{`` or ``[``
  and splits into two or more comma-separated fields (which no JSON document can do):
  ``type_mismatch``. Anything else declared as JSON is parsed as JSON, and its errors are
  ``json_malformed`` / ``json_wrong_shape``.
* A UTF-16/UTF-32 byte-order mark is ``invalid_encoding`` (it is text, just not UTF-8).

Order of reasons: ``size_mismatch`` and ``checksum_mismatch`` first, then ``empty_file``
or the content reasons in the order found. An empty file gets no format reasons.

What may raise, and what may not: a problem with the content is always a reason, never an
exception, because a raised exception marks the file ``failed`` and has it retried, which
no retry can fix. The rules modules turn every problem they know of into a reason; as a
last resort, an error that odd content can make a parser raise (`ValueError`,
`RecursionError`, `OverflowError`, `csv.Error`, ijson's errors) becomes a
``csv_malformed`` / ``json_malformed`` reason naming only the exception's type, and is
logged with its stack but not its message (library messages can quote the input).
Anything else (a bug of ours, `MemoryError`) propagates: a valid file must not be
quarantined for our fault. A fault of ``body.read`` or ``sink.write`` is infrastructure,
not content, and is re-raised as it was, even when it is a `ValueError`. The reader and
the writer record such a fault when it passes through them, so it is recognised even if
a parser wrapped it on the way up.
"""

from __future__ import annotations

import csv
import logging

import ijson

from scalper_backend.inspection.csv_rules import inspect_csv
from scalper_backend.inspection.declared import Declared
from scalper_backend.inspection.json_rules import inspect_json
from scalper_backend.inspection.limits import Limits
from scalper_backend.inspection.output import BinarySink, RecordWriter
from scalper_backend.inspection.reader import BinarySource, HashingReader, Utf8CheckingReader
from scalper_backend.inspection.reasons import ReasonCode, plural, reason
from scalper_backend.inspection.result import ContentFindings, Inspection
from scalper_backend.inspection.sniff import (
    UTF8_BOM,
    first_line,
    foreign_encoding,
    looks_like_csv,
    looks_like_json,
    sniff_binary,
)
from scalper_backend.log_fields import exception_fields
from scalper_backend.models import Reason

OUTPUT_FORMAT = "jsonl"
_DEFAULT_LIMITS = Limits()

logger = logging.getLogger(__name__)


def inspect_stream(
    body: BinarySource, declared: Declared, sink: BinarySink, limits: Limits | None = None
) -> Inspection:
    """Validate an uploaded file against its declaration and write its normalised form.

    Args:
        body: the object's bytes, a binary stream with ``read(n)``; read to the end, not closed.
        declared: the size, SHA-256 and content type the partner declared.
        sink: receives the output as UTF-8 JSON Lines; meaningless unless the result is ok.
        limits: read and record-size bounds; the defaults suit a Lambda with 512 MB or more.

    Returns:
        The verdict, with every reason found, and what was measured on the way.

    Raises:
        Exception: whatever `body.read` or `sink.write` raise (a network or disk fault is
            not a property of the file, so it is not turned into a reason). Nothing else.
    """
    limits = limits or _DEFAULT_LIMITS
    reader = HashingReader(body, limits.chunk_size)
    writer = RecordWriter(sink)
    head = reader.peek(limits.sniff_size)
    if head:
        findings = _inspect_content_safely(reader, head, declared, writer, limits)
    else:
        empty = reason(ReasonCode.EMPTY_FILE, "The file is empty: it has no bytes.")
        findings = ContentFindings((empty,), "empty", None, None)
    # Finish hashing even when a parser stopped early, so the integrity checks see it all.
    reader.drain()
    reasons = (*_integrity_reasons(reader, declared), *findings.reasons)
    return Inspection(
        reasons=reasons,
        size=reader.size,
        sha256=reader.hexdigest(),
        detected_type=findings.detected_type,
        rows=findings.rows,
        columns=findings.columns,
        output_format=OUTPUT_FORMAT,
        output_size=writer.bytes_written,
    )


# What odd content can make a parser raise. Anything else (a NameError, a TypeError,
# MemoryError) is a fault of ours or of the function, not of the file: it propagates, so
# the file is failed and retried and operators are alerted, instead of a valid file being
# quarantined for our bug.
_CONTENT_ERRORS = (ValueError, RecursionError, OverflowError, csv.Error, ijson.JSONError)


def _inspect_content_safely(
    reader: HashingReader, head: bytes, declared: Declared, writer: RecordWriter, limits: Limits
) -> ContentFindings:
    """Run `_inspect_content`, turning a content error that no rule anticipated into a reason."""
    try:
        return _inspect_content(reader, head, declared, writer, limits)
    except _CONTENT_ERRORS as err:
        fault = reader.failure or writer.failure
        if fault is err:
            raise
        if fault is not None:
            raise fault from err
        return _unexpected(err, declared)


def _unexpected(err: Exception, declared: Declared) -> ContentFindings:
    """Quarantine content a parser failed on in a way no rule anticipated."""
    logger.error(
        "inspection: unexpected parser failure, quarantined",
        extra=exception_fields(err),
    )
    code = ReasonCode.CSV_MALFORMED if declared.family == "csv" else ReasonCode.JSON_MALFORMED
    failed = reason(
        code,
        f"The file could not be parsed: the parser stopped with an unexpected error ({type(err).__name__}).",
    )
    return ContentFindings((failed,), declared.family, None, None)


def _inspect_content(
    reader: HashingReader, head: bytes, declared: Declared, writer: RecordWriter, limits: Limits
) -> ContentFindings:
    """Sniff the type, then run the declared format's rules if the type fits."""
    expected = "CSV" if declared.family == "csv" else "JSON"
    binary = sniff_binary(head)
    if binary:
        mismatch = reason(
            ReasonCode.TYPE_MISMATCH,
            f"The file is {binary.description}, not {expected} text as declared ({declared.content_type}).",
        )
        return ContentFindings((mismatch,), binary.detected_type, None, None)
    encoding = foreign_encoding(head)
    if encoding:
        wrong = reason(
            ReasonCode.INVALID_ENCODING,
            f"The file is {encoding} text, not UTF-8. Save it as UTF-8 and upload it again.",
        )
        return ContentFindings((wrong,), declared.family, None, None)
    if head.startswith(UTF8_BOM):
        reader.read(len(UTF8_BOM))  # hashed and counted by the reader, then dropped
        head = head[len(UTF8_BOM) :]
    complete = len(head) + reader.consumed < limits.sniff_size
    line = first_line(head, complete)
    if line is not None:
        if declared.family == "csv" and looks_like_json(line):
            return _text_mismatch("JSON", declared, "json")
        if declared.family == "json" and looks_like_csv(line):
            return _text_mismatch("CSV (a comma-separated header row)", declared, "csv")
    source = Utf8CheckingReader(reader, start_offset=reader.consumed)
    if declared.family == "csv":
        return inspect_csv(source, writer, limits)
    return inspect_json(source, head, complete, writer, limits, declared.declares_json_lines)


def _text_mismatch(looks_like: str, declared: Declared, detected_type: str) -> ContentFindings:
    """Report text of the other supported format than the one declared."""
    mismatch = reason(
        ReasonCode.TYPE_MISMATCH,
        f"The file looks like {looks_like}, but it was declared as {declared.content_type}.",
    )
    return ContentFindings((mismatch,), detected_type, None, None)


def _integrity_reasons(reader: HashingReader, declared: Declared) -> list[Reason]:
    """Compare what was read with what was declared."""
    reasons = []
    if reader.size != declared.size:
        reasons.append(
            reason(
                ReasonCode.SIZE_MISMATCH,
                f"The file has {plural(reader.size, 'byte')}, but {plural(declared.size, 'byte')} were declared.",
            )
        )
    if reader.hexdigest() != declared.sha256:
        reasons.append(
            reason(
                ReasonCode.CHECKSUM_MISMATCH,
                "The SHA-256 of the file's bytes does not match the declared sha256: "
                "the file changed, or the checksum was computed over different bytes.",
            )
        )
    return reasons
