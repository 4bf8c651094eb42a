"""Reading a DICOM header with pydicom, and only the tags we may keep.

pydicom is asked for exactly the identifiers (``specific_tags``) and stops at the first
element past group 0020 (``stop_when``), so patient tags (PatientName, PatientID,
PatientBirthDate... all in group 0010) are skipped over unread, and pixel data (group
7FE0) is never reached. Values are checked against their value representation before
they are kept (a UID is digits and dots, at most 64 characters; a modality a code of at
most 16), so nothing but well-formed identifiers reaches a record, and messages name a
tag, never its value. pydicom's own value validation is switched off while it reads
(`_quiet_pydicom`): it warns and logs the invalid value verbatim, which would put
whatever a file holds into our logs; the checks here replace it.
"""

from __future__ import annotations

import io
import re
import struct
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from scalper_inspection.reasons import ReasonCode, agree, at, plural, reason
from scalper_inspection.rules import Rules
from scalper_inspection.types import DicomSummary, Reason

# (tag, keyword, type 1 (a value is required) or 2 (present, may be empty))
_TAGS: tuple[tuple[int, str, int], ...] = (
    (0x00080016, "SOPClassUID", 1),
    (0x00080018, "SOPInstanceUID", 1),
    (0x00080020, "StudyDate", 2),
    (0x00080060, "Modality", 1),
    (0x0020000D, "StudyInstanceUID", 1),
    (0x0020000E, "SeriesInstanceUID", 1),
)
_UID = re.compile(r"[0-9]+(?:\.[0-9]+)*")
_MAX_UID = 64
_MODALITY = re.compile(r"[A-Z0-9_ ]{1,16}")
_DATE = re.compile(r"(\d{4})\.?(\d{2})\.?(\d{2})")
_LAST_GROUP = 0x0020


class _Reading:
    """Whether parsing reached the end of the identifier groups."""

    passed_identifiers = False

    def stop(self, tag: Any, vr: str | None, length: int) -> bool:
        if tag.group > _LAST_GROUP:
            self.passed_identifiers = True
            return True
        return False


def read_header(prefix: bytes, complete: bool, rules: Rules) -> tuple[tuple[Reason, ...], DicomSummary | None]:
    """Read the identifiers of a DICOM file from the start of its bytes.

    Args:
        prefix: the first bytes of the file (preamble and marker already checked).
        complete: True when `prefix` is the whole file.
        rules: the partner's rules (accepted modalities).

    Returns:
        The reasons found, and the identifiers when the header held all of them.
    """
    from pydicom.errors import BytesLengthException, InvalidDicomError
    from pydicom.filereader import read_partial

    reading = _Reading()
    try:
        with _quiet_pydicom():
            dataset = read_partial(
                io.BytesIO(prefix), stop_when=reading.stop, specific_tags=[tag for tag, _, _ in _TAGS]
            )
            values = {keyword: _text(dataset.get(keyword)) for _, keyword, _ in _TAGS}
            syntax = _text(getattr(dataset.file_meta, "TransferSyntaxUID", None))
    # pydicom's own errors for a malformed header, found by fuzzing: an element whose length
    # does not fit its VR (BytesLengthException), an unknown VR (NotImplementedError), and a
    # file cut inside an element's 32-bit length (struct.error).
    except (
        InvalidDicomError,
        struct.error,
        BytesLengthException,
        NotImplementedError,
        ValueError,
        EOFError,
        OSError,
        KeyError,
        IndexError,
        TypeError,
        OverflowError,
    ) as err:
        return (_malformed(f"pydicom could not read the header ({type(err).__name__})"),), None
    if not reading.passed_identifiers and not complete:
        limit = len(prefix)
        return (_malformed(f"the identifiers do not end within the first {limit:,} bytes"),), None
    return _judge(values, syntax, rules)


@contextmanager
def _quiet_pydicom() -> Iterator[None]:
    """Read without pydicom validating values (it logs them verbatim) or warning."""
    from pydicom import config

    mode = config.settings.reading_validation_mode
    config.settings.reading_validation_mode = config.IGNORE
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            yield
    finally:
        config.settings.reading_validation_mode = mode


def _text(value: Any) -> str | None:
    """An element's value as text (None when absent); multi-valued elements are refused."""
    if value is None:
        return None
    if isinstance(value, bytes):
        return value.decode("ascii", "replace")
    return str(value) if isinstance(value, str) else None


def _judge(
    values: dict[str, str | None], syntax: str | None, rules: Rules
) -> tuple[tuple[Reason, ...], DicomSummary | None]:
    reasons: list[Reason] = []
    missing = [keyword for _, keyword, kind in _TAGS if values[keyword] is None or (kind == 1 and not values[keyword])]
    if missing:
        reasons.append(
            reason(
                ReasonCode.DICOM_MISSING_TAG,
                f"The DICOM header lacks {plural(len(missing), 'required tag')} "
                f"({', '.join(missing)}): {agree(len(missing), 'it is', 'they are')} needed to file the image.",
                at(field=missing[0]),
            )
        )
    bad = [keyword for keyword, value in values.items() if value and _clean(keyword, value) is None]
    if syntax is not None and _clean("TransferSyntaxUID", syntax) is None:
        bad.append("TransferSyntaxUID")
    if bad:
        reasons.append(
            reason(
                ReasonCode.DICOM_BAD_VALUE,
                f"The DICOM header has malformed values in {', '.join(bad)} (a UID is digits and dots, at most 64 "
                "characters; a modality is a code of at most 16 characters; a date is YYYYMMDD).",
                at(field=bad[0]),
            )
        )
    if reasons:
        return tuple(reasons), None
    clean = {keyword: _clean(keyword, value) if value else None for keyword, value in values.items()}
    summary = DicomSummary(
        sop_class_uid=clean["SOPClassUID"] or "",
        sop_instance_uid=clean["SOPInstanceUID"] or "",
        study_instance_uid=clean["StudyInstanceUID"] or "",
        series_instance_uid=clean["SeriesInstanceUID"] or "",
        modality=clean["Modality"] or "",
        study_date=clean["StudyDate"],
        transfer_syntax_uid=_clean("TransferSyntaxUID", syntax) if syntax else None,
    )
    allowed = rules.dicom.modalities
    if allowed is not None and summary.modality not in allowed:
        refused = reason(
            ReasonCode.DICOM_MODALITY_NOT_ALLOWED,
            f"The modality {summary.modality} is not one your rules (profile {rules.profile}) accept: "
            f"{', '.join(allowed) or 'none'}.",
            at(field="Modality"),
        )
        return (refused,), summary
    return (), summary


def _clean(keyword: str, value: str) -> str | None:
    """The value in its canonical form, or None when it is not well-formed for its tag."""
    value = value.strip().rstrip("\x00")
    if keyword == "Modality":
        return value if _MODALITY.fullmatch(value) else None
    if keyword == "StudyDate":
        match = _DATE.fullmatch(value)
        return "".join(match.groups()) if match else None
    return value if len(value) <= _MAX_UID and _UID.fullmatch(value) else None


def _malformed(what: str) -> Reason:
    return reason(ReasonCode.DICOM_MALFORMED, f"The DICOM header cannot be read: {what}.")
