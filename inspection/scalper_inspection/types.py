"""The shared types: what a partner declares, what an inspection finds, and why a file fails.

Every model here crosses a boundary (the backend's file record, the API, the SDK's
pre-flight report), so all of them are frozen pydantic models or plain frozen dataclasses
whose text fields are bounded where they are built (see `reasons`).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal, get_args

from pydantic import BaseModel, ConfigDict, Field, field_validator

# What the processor can validate: the API refuses anything else up front (415). Each type
# belongs to exactly one validator of `registry`.
ContentType = Literal[
    "text/csv",
    "application/json",
    "application/x-ndjson",
    "application/jsonl",
    "application/dicom",
]
SUPPORTED_CONTENT_TYPES: frozenset[str] = frozenset(get_args(ContentType))


class Declared(BaseModel):
    """The declared size, SHA-256 and content type the stored bytes are checked against.

    Attributes:
        size: bytes, at least 0.
        sha256: 64 hex digits; upper case is accepted and normalised to lower case.
        content_type: one of `SUPPORTED_CONTENT_TYPES`, without parameters.
    """

    model_config = ConfigDict(frozen=True)

    size: int = Field(ge=0)
    sha256: str = Field(pattern=r"^[0-9a-fA-F]{64}$")
    content_type: ContentType

    @field_validator("sha256")
    @classmethod
    def _lower_hex(cls, value: str) -> str:
        """Normalise the digest so it compares equal to `hashlib`'s lower-case hex."""
        return value.lower()


class Location(BaseModel):
    """Where in the file a reason applies; every field is optional.

    Attributes:
        line: 1-based physical line of a text file.
        record: 1-based record number (a CSV data row, a JSON array item, a JSON Lines record).
        column: a CSV column name (cut to 40 characters).
        field: a JSON field path such as ``visits[2].date``, or a DICOM keyword (cut to 40).
    """

    model_config = ConfigDict(frozen=True)

    line: int | None = None
    record: int | None = None
    column: str | None = None
    field: str | None = None


class Reason(BaseModel):
    """Why a file was quarantined: a stable machine code, a sentence for people, and where.

    Messages and locations never quote the file's values; build reasons with
    `reasons.reason`, which bounds the message's length.
    """

    model_config = ConfigDict(frozen=True)

    code: str
    message: str
    location: Location | None = None


class FormulaCells(BaseModel):
    """CSV cells a spreadsheet would run as a formula (see ``csv/_formulas.py``).

    Attributes:
        count: how many cells.
        first: where the first one is (line and column name).
    """

    model_config = ConfigDict(frozen=True)

    count: int
    first: Location


class DicomSummary(BaseModel):
    """The non-patient identifiers of a DICOM file, as the record keeps them.

    Only these tags are ever copied out of a DICOM header; patient tags (name, id, birth
    date...) are never read into a model, a log or a reason.
    """

    model_config = ConfigDict(frozen=True)

    sop_class_uid: str
    sop_instance_uid: str
    study_instance_uid: str
    series_instance_uid: str
    modality: str
    study_date: str | None = Field(default=None, description="YYYYMMDD; absent when the tag is empty.")
    transfer_syntax_uid: str | None = None


@dataclass(frozen=True, slots=True)
class Findings:
    """What a validator found in the content; the pipeline adds the integrity checks.

    Attributes:
        reasons: content reasons in the order found.
        detected_type: ``csv``, ``json``, ``jsonl``, ``dicom``...
        rows: records seen, when the content was parsed.
        columns: CSV header width or distinct JSON keys, when known.
        formula_cells: CSV formula cells, when any were seen.
        dicom: the DICOM identifiers, when the header was read.
    """

    reasons: tuple[Reason, ...]
    detected_type: str
    rows: int | None = None
    columns: int | None = None
    formula_cells: FormulaCells | None = None
    dicom: DicomSummary | None = None


@dataclass(frozen=True, slots=True)
class Inspection:
    """What was found in one uploaded file.

    Attributes:
        reasons: every problem found (at most `reasons.MAX_REASONS`), integrity first
            (size, checksum), then content in the order found. Empty when the file is valid.
        size: bytes read from the source, all of them, even after a problem was found.
        sha256: lower-case hex SHA-256 of those bytes.
        detected_type: ``empty``, ``csv``, ``json``, ``jsonl``, ``dicom``, ``binary`` or a
            sniffed binary kind (``pdf``, ``png``, ``jpeg``, ``gzip``, ``zip``).
        rows: records seen (CSV data rows, JSON objects); ``None`` when the content was
            never parsed (empty, binary, wrong type).
        columns: CSV header width, or the number of distinct top-level keys across JSON
            records (``None`` beyond a cap, or when not parsed).
        output_format: the format written to the sink: ``"jsonl"``, or ``"dicom"`` (the
            original bytes, unchanged).
        output_size: bytes written to the sink; meaningful only when `ok`.
        formula_cells: CSV cells a spreadsheet would execute, when any were found.
        dicom: the DICOM identifiers, when a DICOM header was read.
        rules: which rules judged the file (``"<profile>@<version>"``).
    """

    reasons: tuple[Reason, ...]
    size: int
    sha256: str
    detected_type: str
    rows: int | None
    columns: int | None
    output_format: str
    output_size: int
    formula_cells: FormulaCells | None = None
    dicom: DicomSummary | None = None
    rules: str = field(default="")

    @property
    def ok(self) -> bool:
        """True when no reason was found and the sink holds the output."""
        return not self.reasons

    def details(self) -> dict[str, Any]:
        """What a file record keeps of the verdict besides its reasons (``details``)."""
        return {
            "detected_type": self.detected_type,
            "rows": self.rows,
            "columns": self.columns,
            "formula_cells": self.formula_cells,
            "dicom": self.dicom,
            "rules": self.rules,
        }
