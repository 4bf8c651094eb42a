"""Silent Scalper's file inspection: is an uploaded file what it claims, and within the rules?

One distribution serves both sides: the backend's processor runs it on every upload, and
the SDK runs the very same validators on the partner's machine before anything is sent
(``scalper validate``). It needs no AWS and imports nothing of either side::

    result = inspect_stream(body, Declared(size=..., sha256=..., content_type="text/csv"), sink, rules=rules)
    if result.ok:
        ...  # the sink holds UTF-8 JSON Lines, one object per record (or a DICOM file as sent)

Layout::

    types.py      Declared, Inspection, Reason, Location, DicomSummary, FormulaCells
    errors.py     RulesError, and the internal stops of a parser
    reasons.py    ReasonCode, and building bounded reasons
    limits.py     Limits: every bound of an inspection
    rules.py      Rules, RulesBook, load_rules: what each partner may send
    validator.py  Validator and Inputs: what a format package implements
    registry.py   the validators keyed by detected type; content types and extensions
    pipeline.py   inspect_stream: integrity, rules, sniffing, then a validator
    csv/ json/ dicom/    one package per format; their modules are private
    _reader.py _sniff.py _output.py    hashing and text checks, type sniffing, output

Adding a format is adding one package with a ``VALIDATOR`` and listing it in `registry`.

The validators (and their parsers) are imported on first use of `inspect_stream`,
`VALIDATORS` or `content_type_for`: the API functions, which only need the types and the
rules, start faster without them.
"""

from typing import TYPE_CHECKING, Any

from scalper_inspection.errors import InspectionError, RulesError
from scalper_inspection.limits import Limits
from scalper_inspection.reasons import ReasonCode
from scalper_inspection.rules import DEFAULT_RULES, Rules, RulesBook, load_rules
from scalper_inspection.types import (
    SUPPORTED_CONTENT_TYPES,
    ContentType,
    Declared,
    DicomSummary,
    FormulaCells,
    Inspection,
    Location,
    Reason,
)

if TYPE_CHECKING:
    from scalper_inspection.pipeline import inspect_stream
    from scalper_inspection.registry import VALIDATORS, content_type_for

_LAZY = {"inspect_stream": "pipeline", "VALIDATORS": "registry", "content_type_for": "registry"}


def __getattr__(name: str) -> Any:
    """Import the validators on first use (PEP 562)."""
    if name not in _LAZY:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    import importlib

    return getattr(importlib.import_module(f"{__name__}.{_LAZY[name]}"), name)


__all__ = [
    "DEFAULT_RULES",
    "SUPPORTED_CONTENT_TYPES",
    "VALIDATORS",
    "ContentType",
    "Declared",
    "DicomSummary",
    "FormulaCells",
    "Inspection",
    "InspectionError",
    "Limits",
    "Location",
    "Reason",
    "ReasonCode",
    "Rules",
    "RulesBook",
    "RulesError",
    "content_type_for",
    "inspect_stream",
    "load_rules",
]
