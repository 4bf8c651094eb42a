"""`inspect_stream`: one pass over an uploaded file that yields a verdict and the output.

The file is read exactly once, in chunks, because it arrives as a network stream that
cannot be rewound and may be far larger than the Lambda's memory. Every byte is hashed and
counted, including the bytes after a problem was found, so that size and checksum reasons
are always reported next to the content ones.

Order of the decisions:

1. The partner's rules: a declared type they do not allow (``type_not_allowed``) or a
   file over their size limit (``size_over_limit``) is not parsed at all.
2. Type (``type_mismatch``): bytes with a known magic number (PDF, PNG, JPEG, GZIP, ZIP,
   DICOM) are that kind whatever was declared; a NUL byte in the first
   `Limits.sniff_size` bytes makes them binary. Only ``type_mismatch`` is reported for
   them (plus size/checksum): parsing a PNG as CSV would pile up meaningless reasons.
   A binary format's validator (DICOM) judges anything that is not another binary kind
   itself (a text file declared as DICOM is ``dicom_invalid``).
3. Text: a UTF-16/UTF-32 byte-order mark is ``invalid_encoding``; a UTF-8 BOM is
   dropped; when the first non-blank line can only be another text format (JSON declared
   as CSV, a comma-separated header declared as JSON), ``type_mismatch``.
4. The validator of the declared type (see `registry`).

Order of reasons: ``size_mismatch`` and ``checksum_mismatch`` first, then ``empty_file``
or the content reasons in the order found; at most `reasons.MAX_REASONS` in all.

What may raise, and what may not: a problem with the content is always a reason, never an
exception, because a raised exception marks the file ``failed`` and has it retried, which
no retry can fix. The validators turn every problem they know of into a reason; as a last
resort, an error that odd content can make a parser raise (`ValueError`,
`RecursionError`, `OverflowError`, `csv.Error`) becomes a ``csv_malformed`` /
``json_malformed`` / ``dicom_malformed`` reason naming only the exception's type, and is
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

from scalper_inspection._output import BinarySink, OutputWriter
from scalper_inspection._reader import BinarySource, HashingReader
from scalper_inspection._sniff import UTF8_BOM, first_line, foreign_encoding, sniff_binary
from scalper_inspection.errors import exception_fields
from scalper_inspection.limits import Limits
from scalper_inspection.reasons import ReasonCode, cap_reasons, plural, reason
from scalper_inspection.registry import VALIDATORS, validator_for
from scalper_inspection.rules import DEFAULT_RULES, Rules
from scalper_inspection.types import Declared, Findings, Inspection, Reason
from scalper_inspection.validator import Inputs, Validator

_DEFAULT_LIMITS = Limits()

logger = logging.getLogger(__name__)


def inspect_stream(
    body: BinarySource,
    declared: Declared,
    sink: BinarySink,
    limits: Limits | None = None,
    rules: Rules | None = None,
) -> Inspection:
    """Validate an uploaded file against its declaration and rules, and write its output.

    Args:
        body: the object's bytes, a binary stream with ``read(n)``; read to the end, not closed.
        declared: the size, SHA-256 and content type the partner declared.
        sink: receives the output (JSON Lines, or the bytes as sent for DICOM);
            meaningless unless the result is ok.
        limits: read and record-size bounds; the defaults suit a Lambda with 512 MB or more.
        rules: the partner's rules; `rules.DEFAULT_RULES` when omitted.

    Returns:
        The verdict, with every reason found, and what was measured on the way.

    Raises:
        Exception: whatever `body.read` or `sink.write` raise (a network or disk fault is
            not a property of the file, so it is not turned into a reason). Nothing else.
    """
    limits = limits or _DEFAULT_LIMITS
    rules = rules or DEFAULT_RULES
    validator = validator_for(declared.content_type)
    reader = HashingReader(body, limits.chunk_size)
    output = OutputWriter(sink, track_keys=validator.output_format == "jsonl")
    refused = _refused_by_rules(declared, rules)
    head = b"" if refused else reader.peek(limits.sniff_size)
    if refused:
        findings = Findings(refused, validator.name)
    elif head:
        inputs = Inputs(reader, head, len(head) < limits.sniff_size, declared, output, limits, rules)
        findings = _inspect_content_safely(validator, inputs)
        output.flush()
    else:
        findings = Findings((reason(ReasonCode.EMPTY_FILE, "The file is empty: it has no bytes."),), "empty")
    # Finish hashing even when a parser stopped early, so the integrity checks see it all.
    reader.drain()
    return Inspection(
        reasons=cap_reasons((*_integrity_reasons(reader, declared), *findings.reasons)),
        size=reader.size,
        sha256=reader.hexdigest(),
        detected_type=findings.detected_type,
        rows=findings.rows,
        columns=findings.columns,
        output_format=validator.output_format,
        output_size=output.bytes_written,
        formula_cells=findings.formula_cells,
        dicom=findings.dicom,
        rules=rules.label,
    )


def _refused_by_rules(declared: Declared, rules: Rules) -> tuple[Reason, ...]:
    """The rules' verdict on the declaration alone: a type or size they do not allow."""
    if not rules.allows_type(declared.content_type):
        allowed = ", ".join(rules.allowed_types) or "none"
        message = (
            f"Your rules (profile {rules.profile}) do not allow {declared.content_type} files; allowed: {allowed}."
        )
        return (reason(ReasonCode.TYPE_NOT_ALLOWED, message),)
    if rules.max_size is not None and declared.size > rules.max_size:
        message = (
            f"The file is declared with {plural(declared.size, 'byte')}, over the limit of "
            f"{plural(rules.max_size, 'byte')} of your rules (profile {rules.profile})."
        )
        return (reason(ReasonCode.SIZE_OVER_LIMIT, message),)
    return ()


# What odd content can make a parser raise. Anything else (a NameError, a TypeError,
# MemoryError) is a fault of ours or of the function, not of the file: it propagates, so
# the file is failed and retried and operators are alerted, instead of a valid file being
# quarantined for our bug.
_CONTENT_ERRORS = (ValueError, RecursionError, OverflowError, csv.Error)
_MALFORMED = {"csv": ReasonCode.CSV_MALFORMED, "json": ReasonCode.JSON_MALFORMED, "dicom": ReasonCode.DICOM_MALFORMED}


def _inspect_content_safely(validator: Validator, inputs: Inputs) -> Findings:
    """Run the checks, turning a content error that no rule anticipated into a reason."""
    try:
        return _inspect_content(validator, inputs)
    except _CONTENT_ERRORS as err:
        fault = inputs.reader.failure or inputs.output.failure
        if fault is err:
            raise
        if fault is not None:
            raise fault from err
        logger.error("inspection: unexpected parser failure, quarantined", extra=exception_fields(err))
        failed = reason(
            _MALFORMED[validator.name],
            f"The file could not be parsed: the parser stopped with an unexpected error ({type(err).__name__}).",
        )
        return Findings((failed,), validator.name)


def _inspect_content(validator: Validator, inputs: Inputs) -> Findings:
    """Sniff the type, then run the declared format's validator if the type fits."""
    declared, head = inputs.declared, inputs.head
    binary = sniff_binary(head)
    # A binary format judges unnamed binary data itself (a DICOM file without its preamble).
    own = (validator.name,) if validator.text else (validator.name, "binary")
    if binary and binary.detected_type not in own:
        message = (
            f"The file is {binary.description}, not {validator.description} as declared ({declared.content_type})."
        )
        return _mismatch(message, binary.detected_type)
    if validator.text:
        encoding = foreign_encoding(head)
        if encoding:
            wrong = reason(
                ReasonCode.INVALID_ENCODING,
                f"The file is {encoding} text, not UTF-8. Save it as UTF-8 and upload it again.",
            )
            return Findings((wrong,), validator.name)
        if head.startswith(UTF8_BOM):
            inputs.reader.read(len(UTF8_BOM))  # hashed and counted by the reader, then dropped
            head = head[len(UTF8_BOM) :]
            inputs = Inputs(inputs.reader, head, inputs.complete, declared, inputs.output, inputs.limits, inputs.rules)
        line = first_line(head, inputs.complete)
        other = _claimed_by_other(validator, line) if line is not None else None
        if other is not None:
            message = f"The file looks like {other.description}, but it was declared as {declared.content_type}."
            return _mismatch(message, other.name)
    return validator.validate(inputs)


def _claimed_by_other(validator: Validator, line: str) -> Validator | None:
    """Another text format that this first line can only belong to, if any."""
    for other in VALIDATORS:
        if other.name != validator.name and other.text and other.claims is not None and other.claims(line):
            return other
    return None


def _mismatch(message: str, detected_type: str) -> Findings:
    """Report bytes of another kind than the one declared."""
    return Findings((reason(ReasonCode.TYPE_MISMATCH, message),), detected_type)


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
