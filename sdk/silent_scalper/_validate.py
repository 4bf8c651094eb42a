"""Pre-flight: what the processor would say about a file, before anything is sent.

The SDK runs the very validators the processor runs (the ``scalper-inspection``
distribution both depend on), with the partner's rules as the API serves them
(``GET /rules``), so a file judged here is judged the same there::

    with Client() as client:
        verdict = client.validate("scan-report.csv")
        if not verdict.ok:
            print(verdict.rules, [(r.code, r.message) for r in verdict.reasons])

The file is read twice, locally (once to hash it, as the upload declares it; once to
inspect it), and nothing of it leaves the machine. Without an API (no endpoint or key,
or an API that predates ``GET /rules``), the built-in default rules apply, and the
verdict says so in `Validation.rules_source`.
"""

from __future__ import annotations

import os
from typing import Literal

from pydantic import BaseModel, ConfigDict

from scalper_inspection import (
    DEFAULT_RULES,
    SUPPORTED_CONTENT_TYPES,
    Declared,
    DicomSummary,
    FormulaCells,
    Reason,
    Rules,
    content_type_for,
    inspect_stream,
)

from ._exceptions import NotFoundError
from ._http import Transport
from ._sources import Opened, digest

__all__ = ["PreFlight", "Validation", "validate_file"]

RulesSource = Literal["api", "defaults"]


class Validation(BaseModel):
    """The pre-flight verdict on one file.

    Attributes:
        path: the file judged.
        content_type: the type it would be declared with.
        ok: True when the processor would process it; False when it would quarantine it
            (or the API would refuse its declaration).
        reasons: what the processor would say, with the same codes and messages.
        detected_type, rows, columns, formula_cells, dicom: what the processor would
            record in the file's details.
        rules: the rules used, as ``profile@version``.
        rules_source: ``api`` (the partner's rules from ``GET /rules``) or ``defaults``.
    """

    model_config = ConfigDict(frozen=True)

    path: str
    content_type: str
    ok: bool
    reasons: tuple[Reason, ...]
    detected_type: str | None = None
    rows: int | None = None
    columns: int | None = None
    formula_cells: FormulaCells | None = None
    dicom: DicomSummary | None = None
    rules: str
    rules_source: RulesSource


class _Discard:
    """The output is not needed before upload: only the verdict is."""

    def write(self, data: bytes) -> int:
        return len(data)


def validate_file(
    path: str | os.PathLike[str],
    *,
    rules: Rules = DEFAULT_RULES,
    rules_source: RulesSource = "defaults",
    content_type: str | None = None,
) -> Validation:
    """Judge one file with the processor's validators.

    Args:
        path: the file.
        rules: the rules to judge it by.
        rules_source: where `rules` came from, reported in the verdict.
        content_type: the type it will be declared with; by default guessed from the
            extension as the upload does (``.csv``, ``.json``, ``.jsonl``, ``.dcm``...).

    Returns:
        The verdict.

    Raises:
        OSError: the file cannot be read.
    """
    name = os.fspath(path)
    declared_type = (content_type or content_type_for(name) or "application/octet-stream").split(";")[0].lower()
    if declared_type not in SUPPORTED_CONTENT_TYPES:
        supported = ", ".join(sorted(SUPPORTED_CONTENT_TYPES))
        refused = Reason(
            code="unsupported_content_type",
            message=f"The API refuses {declared_type} files; declare one of: {supported}.",
        )
        return Validation(
            path=name,
            content_type=declared_type,
            ok=False,
            reasons=(refused,),
            rules=rules.label,
            rules_source=rules_source,
        )
    size, sha256 = _size_and_sha256(name)
    declared = Declared(size=size, sha256=sha256, content_type=declared_type)
    with open(name, "rb") as body:
        result = inspect_stream(body, declared, _Discard(), rules=rules)
    return Validation(
        path=name,
        content_type=declared_type,
        ok=result.ok,
        reasons=result.reasons,
        rules_source=rules_source,
        **result.details(),
    )


def _size_and_sha256(path: str) -> tuple[int, str]:
    # Opened with open(), not open_source(): a file that cannot be read raises the plain
    # OSError the callers report (open_source would wrap it in a FileReadError).
    with open(path, "rb") as stream:
        size = os.fstat(stream.fileno()).st_size
        return size, digest(Opened(stream, 0, size, None))


class PreFlight:
    """``client.validate``: judge files here with the partner's rules from the API.

    Args:
        transport: the API transport; the rules are fetched once and kept.
    """

    def __init__(self, transport: Transport) -> None:
        self._transport = transport
        self._rules: tuple[Rules, RulesSource] | None = None

    def rules(self) -> tuple[Rules, RulesSource]:
        """The partner's rules from ``GET /rules``, or the defaults if the API has none.

        Raises:
            APIConnectionError, APIStatusError: the API could not say (other than 404).
        """
        if self._rules is None:
            self._rules = self._fetch()
        return self._rules

    def _fetch(self) -> tuple[Rules, RulesSource]:
        try:
            return self._transport.get("/rules", cast_to=Rules), "api"
        except NotFoundError:  # an API older than GET /rules
            return DEFAULT_RULES, "defaults"

    def validate(self, path: str | os.PathLike[str], *, content_type: str | None = None) -> Validation:
        """Judge one file as the processor would (see `validate_file`)."""
        rules, source = self.rules()
        return validate_file(path, rules=rules, rules_source=source, content_type=content_type)
