"""The validators, keyed by the type they detect: adding a type is adding one module.

Each format package (``csv``, ``json``, ``dicom``) defines one `Validator` and lists it
here. The pipeline finds a file's validator by its declared content type; the SDK guesses
a content type from a file name with `content_type_for`; the API accepts exactly the
content types listed here (`SUPPORTED_CONTENT_TYPES` is checked against them by a test).
"""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass

from scalper_inspection._output import OutputWriter
from scalper_inspection._reader import CheckedText, HashingReader
from scalper_inspection.limits import Limits
from scalper_inspection.rules import Rules
from scalper_inspection.types import Declared, Findings


@dataclass(frozen=True, slots=True)
class Inputs:
    """What a validator gets: the stream, what was sniffed, and where to write.

    Attributes:
        reader: the hashing reader, positioned after any UTF-8 BOM.
        head: the first bytes still to be read (the sniffed window, without the BOM).
        complete: True when `head` is the whole content.
        declared: what the partner declared.
        output: where records (or passed-through bytes) go.
        limits: read and record bounds.
        rules: the partner's rules.
    """

    reader: HashingReader
    head: bytes
    complete: bool
    declared: Declared
    output: OutputWriter
    limits: Limits
    rules: Rules

    def text(self) -> CheckedText:
        """The rest of the file as checked text (UTF-8, no NUL bytes)."""
        return CheckedText(self.reader, self.limits.chunk_size)


@dataclass(frozen=True, slots=True)
class Validator:
    """One format's rules.

    Attributes:
        name: the detected type it validates (``csv``, ``json``, ``dicom``).
        description: how to name the format in a message (``"CSV text"``).
        content_types: the declared types it validates.
        extensions: file name endings that suggest it, each with its content type.
        text: True for text formats, which share the encoding and BOM checks and the
            first-line test against the other text formats.
        output_format: what it writes (``jsonl``, or ``dicom`` for the bytes as sent).
        validate: the rules themselves.
        claims: for text formats, whether a first line can only be this format.
    """

    name: str
    description: str
    content_types: frozenset[str]
    extensions: tuple[tuple[str, str], ...]
    text: bool
    output_format: str
    validate: Callable[[Inputs], Findings]
    claims: Callable[[str], bool] | None = None


def _validators() -> tuple[Validator, ...]:
    # The format packages import this module for `Inputs`, so they are imported here.
    from scalper_inspection.csv import VALIDATOR as CSV
    from scalper_inspection.dicom import VALIDATOR as DICOM
    from scalper_inspection.json import VALIDATOR as JSON

    return (CSV, JSON, DICOM)


VALIDATORS = _validators()
_BY_CONTENT_TYPE = {content_type: v for v in VALIDATORS for content_type in v.content_types}
_BY_EXTENSION = {extension: content_type for v in VALIDATORS for extension, content_type in v.extensions}


def validator_for(content_type: str) -> Validator:
    """The validator of a declared content type.

    Raises:
        KeyError: no validator handles it (the API refuses such a declaration).
    """
    return _BY_CONTENT_TYPE[content_type]


def content_type_for(filename: str) -> str | None:
    """The content type a file name suggests (``scan.dcm`` -> ``application/dicom``), if any."""
    return _BY_EXTENSION.get(os.path.splitext(filename)[1].lower())
