"""The validators, keyed by the type they detect: adding a type is adding one module.

Each format package (``csv``, ``json``, ``dicom``) defines one `Validator` and lists it
here. The pipeline finds a file's validator by its declared content type; the SDK guesses
a content type from a file name with `content_type_for`; the API accepts exactly the
content types listed here (`SUPPORTED_CONTENT_TYPES` is checked against them by a test).
"""

from __future__ import annotations

import os

from scalper_inspection.csv import VALIDATOR as CSV
from scalper_inspection.dicom import VALIDATOR as DICOM
from scalper_inspection.json import VALIDATOR as JSON
from scalper_inspection.validator import Validator

VALIDATORS: tuple[Validator, ...] = (CSV, JSON, DICOM)
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
