"""``scalper validate`` judges a file exactly as the processor does, before it is sent."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from pydicom.data import get_testdata_file

pytestmark = pytest.mark.e2e

ROOT = Path(__file__).resolve().parents[2]

# (partner, file name, bytes): ordinary and hostile files, under default and stricter rules.
FILES = [
    ("acme", "patients.csv", (ROOT / "examples/data/patients.csv").read_bytes()),
    ("acme", "ragged.csv", b"a,b\n1\n2,3\n"),
    ("acme", "formula.csv", b"id,note\n1,=1+1\n2,-3.5\n"),
    ("acme", "dupes.jsonl", b'{"a": 1}\n{"a": 1, "a": 2}\n{"n": 0.123456789012345678}\n'),
    ("acme", "array.json", b'[{"a": 1}, 2, {"b": [1, 2]}]'),
    ("acme", "binary.csv", b"\x89PNG\r\n\x1a\n" + b"\x00" * 64),
    ("clinic", "clinic.csv", b"patient_ref,visit_date,note\np-1,2026-11-31,=cmd|x\np-2,,ok\n"),
    ("reports", "reports.jsonl", b'{"report_id": "r1", "modality": "CT"}\n{"report_id": 2, "modality": "CT"}\n'),
    ("radiology", "ct.dcm", Path(get_testdata_file("CT_small.dcm") or "").read_bytes()),
    ("radiology", "plan.dcm", Path(get_testdata_file("rtplan.dcm") or "").read_bytes()),
    ("radiology", "fake.dcm", b"not a scan"),
]
DETAILS = ("detected_type", "rows", "columns", "formula_cells", "dicom")


def scalper(stack, partner: str, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "SCALPER_ENDPOINT": stack.endpoint, "SCALPER_API_KEY": stack.keys[partner]}
    return subprocess.run(
        [sys.executable, "-m", "silent_scalper", *args], cwd=ROOT, env=env, capture_output=True, text=True, timeout=90
    )


@pytest.mark.parametrize(("partner", "name", "body"), FILES, ids=[name for _, name, _ in FILES])
def test_validate_and_the_processor_judge_the_same_file_the_same(stack, upload, tmp_path, partner, name, body):
    path = tmp_path / name
    path.write_bytes(body)
    done = scalper(stack, partner, "validate", "--json", str(path))
    verdict = json.loads(done.stdout)
    assert verdict["rules_source"] == "api"

    ticket = upload(body, filename=name, content_type=verdict["content_type"], partner=partner)
    record = stack.wait_final(ticket["file_id"], partner=partner)

    assert (verdict["ok"], done.returncode) == (record["state"] == "processed", 0 if verdict["ok"] else 1)
    assert verdict["reasons"] == record["reasons"]
    assert {key: verdict[key] for key in DETAILS} == {key: record["details"][key] for key in DETAILS}
    assert verdict["rules"] == record["details"]["rules"]


def test_validate_without_an_api_uses_the_defaults_and_says_so(tmp_path):
    path = tmp_path / "visits.csv"
    path.write_bytes(b"patient_ref,visit_date\np-1,2026-11-31\n")
    env = {k: v for k, v in os.environ.items() if not k.startswith("SCALPER_")}
    done = subprocess.run(
        [sys.executable, "-m", "silent_scalper", "validate", str(path)],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=90,
    )
    assert done.returncode == 0, done.stderr
    assert "rules: default@builtin (the built-in defaults)" in done.stdout
