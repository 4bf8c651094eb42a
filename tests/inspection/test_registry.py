"""The registry: one validator per detected type, covering exactly the supported content types."""

from __future__ import annotations

import subprocess
import sys

import pytest

from scalper_inspection import SUPPORTED_CONTENT_TYPES, VALIDATORS, content_type_for


def test_the_validators_cover_exactly_the_supported_content_types_once_each() -> None:
    declared = [content_type for validator in VALIDATORS for content_type in validator.content_types]
    assert sorted(declared) == sorted(SUPPORTED_CONTENT_TYPES)


@pytest.mark.parametrize(
    ("filename", "content_type"),
    [
        ("a.csv", "text/csv"),
        ("b.JSON", "application/json"),
        ("c.jsonl", "application/x-ndjson"),
        ("scan.dcm", "application/dicom"),
        ("d.pdf", None),
    ],
)
def test_a_file_name_suggests_its_content_type(filename: str, content_type: str | None) -> None:
    assert content_type_for(filename) == content_type


@pytest.mark.parametrize(
    "module", ["scalper_inspection.json._escapes", "scalper_inspection.dicom", "scalper_inspection.rules"]
)
def test_each_module_imports_on_its_own(module: str) -> None:
    subprocess.run([sys.executable, "-c", f"import {module}"], check=True)
