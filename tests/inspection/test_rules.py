"""Partner rules: the rules file, and each rule failure as a stable code with its place."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from support.inspection import codes, declared_for, inspect_bytes

from scalper_inspection import DEFAULT_RULES, Location, Rules, RulesError, load_rules

CLINIC = Rules.model_validate(
    {
        "profile": "clinic",
        "csv": {
            "required_columns": {
                "patient_ref": "string",
                "visits": "integer",
                "weight_kg": "decimal?",
                "visit_date": "date",
                "seen_at": "datetime",
                "consent": "boolean",
            }
        },
    }
)
HEADER = b"patient_ref,visits,weight_kg,visit_date,seen_at,consent,extra\n"
GOOD_ROW = b"p-1,3,70.25,2026-11-25,2026-11-25T09:00:00Z,true,x\n"
SCHEMA = {
    "type": "object",
    "required": ["id", "visits"],
    "properties": {
        "id": {"type": "integer"},
        "visits": {"type": "array", "items": {"type": "object", "properties": {"date": {"type": "string"}}}},
    },
}


def write_rules(tmp_path: Path, text: str, schema: dict | None = None) -> Path:
    if schema is not None:
        (tmp_path / "schemas").mkdir()
        (tmp_path / "schemas" / "report.json").write_text(json.dumps(schema))
    path = tmp_path / "partners.toml"
    path.write_text(text)
    return path


def test_rules_file_maps_partners_to_versioned_profiles_with_schemas_inlined(tmp_path: Path) -> None:
    path = write_rules(
        tmp_path,
        """
version = "7"
[partners]
north = "clinic"
[profiles.default]
formula_cells = "flag"
[profiles.clinic]
allowed_types = ["text/csv"]
max_size = 1000
formula_cells = "quarantine"
[profiles.clinic.csv.required_columns]
visit_date = "date?"
[profiles.clinic.json]
schema = "schemas/report.json"
""",
        SCHEMA,
    )
    book = load_rules(path)
    clinic = book.for_partner("north")
    assert clinic.label == "clinic@7"
    assert clinic.allowed_types == ("text/csv",)
    assert clinic.csv.required_columns["visit_date"].allow_empty
    assert clinic.json_rules.record_schema == SCHEMA
    assert book.for_partner("anyone-else").label == "default@7"


def test_a_partner_without_a_profile_and_no_default_gets_the_built_in_rules(tmp_path: Path) -> None:
    book = load_rules(write_rules(tmp_path, 'version = "1"\n'))
    assert book.for_partner("acme").model_dump(exclude={"version"}) == DEFAULT_RULES.model_dump(exclude={"version"})


@pytest.mark.parametrize(
    "text",
    [
        'version = "1"\n[partners]\nacme = "missing"\n',
        'version = "1"\n[profiles.x]\nallowed_types = ["image/png"]\n',
        'version = "1"\n[profiles.x]\nformula_cells = "sometimes"\n',
        'version = "1"\n[profiles.x.csv.required_columns]\nage = "number"\n',
        'version = "1"\n[profiles.x.json]\nschema = "schemas/none.json"\n',
        "not toml at all [",
    ],
)
def test_an_unusable_rules_file_is_refused_with_a_rules_error(tmp_path: Path, text: str) -> None:
    with pytest.raises(RulesError):
        load_rules(write_rules(tmp_path, text))


def test_an_invalid_json_schema_is_refused(tmp_path: Path) -> None:
    path = write_rules(tmp_path, 'version = "1"\n[profiles.x.json]\nschema = "schemas/report.json"\n', {"type": 5})
    with pytest.raises(RulesError, match="not a valid JSON Schema"):
        load_rules(path)


def test_the_repository_rules_file_is_valid() -> None:
    book = load_rules(Path(__file__).resolve().parents[2] / "backend" / "rules" / "partners.toml")
    assert book.version


def test_a_type_the_rules_do_not_allow_is_quarantined_without_parsing() -> None:
    result, _ = inspect_bytes(b"id\n1\n", "text/csv", rules=Rules(allowed_types=("application/json",)))
    assert codes(result) == ["type_not_allowed"]
    assert result.rows is None


def test_a_file_over_the_rules_size_limit_is_quarantined() -> None:
    result, _ = inspect_bytes(b"id\n1\n", "text/csv", rules=Rules(max_size=3))
    assert codes(result) == ["size_over_limit"]


def test_rows_that_follow_the_column_rules_pass() -> None:
    other = b"p-2,0,,2026-01-31,2026-01-31T23:59:59+01:00,0,\n"
    result, _ = inspect_bytes(HEADER + GOOD_ROW + other, "text/csv", rules=CLINIC)
    assert result.ok, result.reasons
    assert result.rules == "clinic@builtin"


def test_a_missing_required_column_is_named_with_its_location() -> None:
    result, _ = inspect_bytes(b"patient_ref,visits\np-1,3\n", "text/csv", rules=CLINIC)
    assert set(codes(result)) == {"csv_missing_column"}
    assert [r.location for r in result.reasons][:2] == [
        Location(line=1, column="weight_kg"),
        Location(line=1, column="visit_date"),
    ]


@pytest.mark.parametrize(
    ("column", "bad"),
    [
        ("visits", b"three"),
        ("visits", b"3.5"),
        ("weight_kg", b"70kg"),
        ("visit_date", b"2026-02-30"),
        ("visit_date", b"25/11/2026"),
        ("seen_at", b"yesterday"),
        ("consent", b"maybe"),
        ("patient_ref", b""),
    ],
)
def test_a_value_of_the_wrong_type_is_a_located_reason_that_never_quotes_it(column: str, bad: bytes) -> None:
    names = HEADER.decode().strip().split(",")
    cells = GOOD_ROW.decode().strip().split(",")
    cells[names.index(column)] = bad.decode()
    row = ",".join(cells).encode() + b"\n"
    result, _ = inspect_bytes(HEADER + GOOD_ROW + row, "text/csv", rules=CLINIC)
    assert codes(result) == ["csv_bad_value"]
    assert result.reasons[0].location == Location(line=3, column=column)
    if bad:
        assert bad.decode() not in result.reasons[0].message


def test_json_records_are_checked_against_the_rules_schema_by_field_and_keyword() -> None:
    rules = Rules.model_validate({"json": {"schema": SCHEMA}})
    data = b'{"id": 1, "visits": []}\n{"id": "SecretId", "visits": []}\n{"id": 3, "visits": [{"date": 20261125}]}\n'
    result, _ = inspect_bytes(data, "application/x-ndjson", rules=rules)
    assert codes(result) == ["json_schema_mismatch"]
    reason = result.reasons[0]
    assert reason.location == Location(line=2, record=2, field="id")
    assert "2 records of 3" in reason.message
    assert "field id: type" in reason.message and "field visits[0].date: type" in reason.message
    assert "SecretId" not in reason.message and "20261125" not in reason.message


def test_a_json_array_is_checked_against_the_schema_item_by_item() -> None:
    rules = Rules.model_validate({"json": {"schema": SCHEMA}})
    data = b'[{"id": 1, "visits": []}, {"visits": []}]'
    result, _ = inspect_bytes(data, "application/json", rules=rules)
    assert codes(result) == ["json_schema_mismatch"]
    assert result.reasons[0].location == Location(line=1, record=2, field="$")
    assert "required" in result.reasons[0].message


def test_rules_are_reported_with_the_verdict() -> None:
    data = b"id\n1\n"
    result, _ = inspect_bytes(data, "text/csv", declared=declared_for(data, "text/csv"), rules=CLINIC)
    assert result.rules == "clinic@builtin"
