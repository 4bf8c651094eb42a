"""File inspection: decide whether an uploaded CSV/JSON file is valid, and normalise it.

Pure Python, no boto3: the processor hands in the object's body stream and a sink, and
gets back an `Inspection` listing every reason found (codes from ``docs/api.md``)::

    result = inspect_stream(body, Declared(size=..., sha256=..., content_type="text/csv"), sink)
    if result.ok:
        ...  # the sink holds UTF-8 JSON Lines, one object per record

Modules: `declared` and `result` (models), `limits` (bounds), `reasons` (codes),
`reader` (hashing and UTF-8-checking streams), `sniff` (type detection),
`csv_rules` and `json_rules` (format rules; JSON with `json_feed` feeding ijson,
`json_values` building bounded records, `json_lines` for JSON Lines, `json_shapes` for
what the JSON paths share, `json_escapes` catching lone surrogates),
`stops` (the exceptions that stop a parser), `output` (JSON Lines writer),
`pipeline` (`inspect_stream`, and the type-mismatch decisions in its docstring).
"""

from scalper_backend.inspection.declared import ContentType, Declared
from scalper_backend.inspection.limits import Limits
from scalper_backend.inspection.pipeline import inspect_stream
from scalper_backend.inspection.reasons import ReasonCode
from scalper_backend.inspection.result import Inspection

__all__ = ["ContentType", "Declared", "Inspection", "Limits", "ReasonCode", "inspect_stream"]
