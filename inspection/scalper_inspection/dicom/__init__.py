"""DICOM: a Part 10 medical image file, checked from its header and stored as sent.

What "transform" means for a scan: nothing is rewritten. The output is the original
bytes, unchanged (viewers and archives need the exact file, and rewriting a signed or
compressed image is not ours to do); what the pipeline adds is the header's non-patient
identifiers in the record's ``details.dicom`` (study, series and instance UIDs, SOP
class, modality, study date, transfer syntax), which serve as the JSON sidecar clients
query through the API.

The header is parsed from a bounded prefix (`Limits.dicom_header_bytes`) and parsing
stops after group 0020, where the identifiers end, so pixel data is never read; the whole
body is still hashed for the checksum, and passed through to the output.
"""

from __future__ import annotations

from scalper_inspection.reasons import ReasonCode, reason
from scalper_inspection.types import Findings
from scalper_inspection.validator import Inputs, Validator

_PREAMBLE = 128
_MARKER = b"DICM"


def _validate(inputs: Inputs) -> Findings:
    """Check the preamble and marker, read the header, then pass the bytes through."""
    limits = inputs.limits
    prefix = inputs.reader.peek(limits.dicom_header_bytes)
    if prefix[_PREAMBLE : _PREAMBLE + len(_MARKER)] != _MARKER:
        invalid = reason(
            ReasonCode.DICOM_INVALID,
            "The file is not a DICOM file: it lacks the 128-byte preamble and the DICM marker of DICOM Part 10. "
            "Export it from the imaging system as a DICOM file.",
        )
        return Findings((invalid,), "binary")
    # Imported here: pydicom is needed only when a DICOM file arrives.
    from scalper_inspection.dicom._header import read_header

    reasons, summary = read_header(prefix, len(prefix) < limits.dicom_header_bytes, inputs.rules)
    if not reasons:
        while data := inputs.reader.read(limits.chunk_size):
            inputs.output.raw(data)
    return Findings(reasons, "dicom", dicom=summary)


VALIDATOR = Validator(
    name="dicom",
    description="a DICOM file",
    content_types=frozenset({"application/dicom"}),
    extensions=((".dcm", "application/dicom"), (".dicom", "application/dicom")),
    text=False,
    output_format="dicom",
    validate=_validate,
)

__all__ = ["VALIDATOR"]
