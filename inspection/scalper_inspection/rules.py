"""Partner rules: what each partner may send, as configuration rather than code.

A rules file (TOML, deployed with the code; see ``docs/rules.md``) holds named profiles
and maps partner ids to them; a partner without an entry gets the ``default`` profile,
and without a ``default`` profile, `DEFAULT_RULES`::

    version = "2026-11-26.1"          # any text; every verdict records profile@version

    [partners]
    northside-clinic = "clinic-records"

    [profiles.clinic-records]
    allowed_types = ["text/csv"]
    max_size = 104857600               # bytes
    formula_cells = "quarantine"       # or "flag" (the default)
    [profiles.clinic-records.csv.required_columns]
    patient_ref = "string"
    visit_date = "date"                # string, integer, decimal, date, datetime, boolean;
    weight_kg = "decimal?"             # a trailing ? lets the cell be empty

    [profiles.scan-reports.json]
    schema = "schemas/scan-report.schema.json"   # JSON Schema, relative to this file

    [profiles.radiology.dicom]
    modalities = ["CT", "MR"]

`Rules` is one resolved profile: the shape the API returns (``GET /rules``) and the SDK's
pre-flight uses, with any JSON Schema inlined, so both sides judge with the same rules.
"""

from __future__ import annotations

import json
import tomllib
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from scalper_inspection.errors import RulesError
from scalper_inspection.types import SUPPORTED_CONTENT_TYPES, ContentType

ColumnType = Literal["string", "integer", "decimal", "date", "datetime", "boolean"]
FormulaPolicy = Literal["flag", "quarantine"]
DEFAULT_PROFILE = "default"
BUILTIN_VERSION = "builtin"
# A JSON Schema is read whole into every function's memory and shipped to SDKs.
MAX_SCHEMA_BYTES = 256 * 1024
# Aliases are the rules file's and the API's spelling (``json``, ``schema``).
_FROZEN = ConfigDict(frozen=True, extra="forbid", populate_by_name=True, serialize_by_alias=True)


class ColumnRule(BaseModel):
    """A required CSV column: its type, and whether a cell may be empty.

    Written in a rules file as ``"date"``, or ``"date?"`` when empty cells are allowed.
    """

    model_config = _FROZEN

    type: ColumnType = "string"
    allow_empty: bool = False

    @model_validator(mode="before")
    @classmethod
    def _shorthand(cls, value: Any) -> Any:
        if isinstance(value, str):
            return {"type": value.removesuffix("?"), "allow_empty": value.endswith("?")}
        return value


class CsvRules(BaseModel):
    """What CSV files must hold: columns that must be present, with their types."""

    model_config = _FROZEN

    required_columns: dict[str, ColumnRule] = Field(default_factory=dict)


class JsonRules(BaseModel):
    """What JSON records must look like: a JSON Schema every record is checked against."""

    model_config = _FROZEN

    record_schema: dict[str, Any] | None = Field(default=None, alias="schema")


class DicomRules(BaseModel):
    """Which DICOM modalities (``CT``, ``MR``...) are accepted; None accepts any."""

    model_config = _FROZEN

    modalities: tuple[str, ...] | None = None


class Rules(BaseModel):
    """One partner's rules: a resolved profile.

    Attributes:
        profile: the profile's name.
        version: the rules file's version.
        allowed_types: the content types the partner may declare.
        max_size: the largest file in bytes, or None for the platform's limit.
        formula_cells: ``flag`` records CSV formula cells in the record's details;
            ``quarantine`` also quarantines the file (``csv_formula_cells``).
        csv: required columns and their types.
        json_rules: a JSON Schema for every JSON record (``json`` in a file).
        dicom: accepted modalities.
    """

    model_config = _FROZEN

    profile: str = DEFAULT_PROFILE
    version: str = BUILTIN_VERSION
    allowed_types: tuple[ContentType, ...] = tuple(sorted(SUPPORTED_CONTENT_TYPES))
    max_size: int | None = Field(default=None, ge=0)
    formula_cells: FormulaPolicy = "flag"
    csv: CsvRules = Field(default_factory=CsvRules)
    json_rules: JsonRules = Field(default_factory=JsonRules, alias="json")
    dicom: DicomRules = Field(default_factory=DicomRules)

    @property
    def label(self) -> str:
        """``profile@version``, as verdicts and records name the rules that judged them."""
        return f"{self.profile}@{self.version}"

    def allows_type(self, content_type: str) -> bool:
        """True when the partner may send this (normalised) content type."""
        return content_type in self.allowed_types


DEFAULT_RULES = Rules()


class RulesBook(BaseModel):
    """A whole rules file: versioned profiles, and which partner uses which."""

    model_config = _FROZEN

    version: str = Field(min_length=1, max_length=64)
    profiles: dict[str, Rules] = Field(default_factory=dict)
    partners: dict[str, str] = Field(default_factory=dict)

    @field_validator("profiles", mode="before")
    @classmethod
    def _name_profiles(cls, value: Any) -> Any:
        # A profile's name is its key in the file; write it into the profile itself.
        if isinstance(value, dict):
            return {name: {**body, "profile": name} if isinstance(body, dict) else body for name, body in value.items()}
        return value

    @model_validator(mode="after")
    def _stamp_and_check(self) -> RulesBook:
        unknown = sorted({name for name in self.partners.values() if name not in self.profiles})
        if unknown and unknown != [DEFAULT_PROFILE]:
            raise ValueError(f"partners name profiles that do not exist: {unknown}")
        for name, profile in self.profiles.items():
            self.profiles[name] = profile.model_copy(update={"version": self.version})
        return self

    def for_partner(self, partner_id: str) -> Rules:
        """The rules of a partner: its profile, else ``default``, else `DEFAULT_RULES`.

        Args:
            partner_id: the partner, as the partners table names it.

        Returns:
            The resolved profile, stamped with this file's version.
        """
        name = self.partners.get(partner_id, DEFAULT_PROFILE)
        if name in self.profiles:
            return self.profiles[name]
        return DEFAULT_RULES.model_copy(update={"version": self.version})


def load_rules(path: Path) -> RulesBook:
    """Read and check a rules file, inlining the JSON Schemas it refers to.

    Args:
        path: the TOML file; schema paths in it are relative to its folder.

    Returns:
        The checked book.

    Raises:
        RulesError: the file is missing, is not TOML, or breaks a rule above; a JSON Schema
            is missing, too large, not JSON, or not a valid schema.
    """
    try:
        raw = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as err:
        raise RulesError(f"cannot read the rules file {path}: {err}") from err
    for name, profile in raw.get("profiles", {}).items():
        schema = profile.get("json", {}).get("schema") if isinstance(profile, dict) else None
        if isinstance(schema, str):
            profile["json"]["schema"] = _read_schema(path.parent / schema, name)
    try:
        return RulesBook.model_validate(raw)
    except ValidationError as err:
        raise RulesError(f"invalid rules file {path}: {err}") from err


def _read_schema(path: Path, profile: str) -> dict[str, Any]:
    """Read one JSON Schema and check it against its meta-schema."""
    try:
        if path.stat().st_size > MAX_SCHEMA_BYTES:
            raise RulesError(f"profile {profile!r}: {path} is over {MAX_SCHEMA_BYTES} bytes")
        schema = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as err:
        raise RulesError(f"profile {profile!r}: cannot read the JSON Schema {path}: {err}") from err
    if not isinstance(schema, dict):
        raise RulesError(f"profile {profile!r}: the JSON Schema {path} is not an object")
    # Imported here: jsonschema is needed only by partners whose rules have a schema.
    from jsonschema import SchemaError, validators

    try:
        validators.validator_for(schema).check_schema(schema)
    except SchemaError as err:
        raise RulesError(f"profile {profile!r}: {path} is not a valid JSON Schema: {err.message}") from err
    return schema
