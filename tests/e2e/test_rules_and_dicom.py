"""Partner rules, DICOM and bounded text through the real path: HTTP -> gateway -> presign ->
moto S3 -> SQS -> processor, with the rules file of tests/e2e/rules (scalper local --rules)."""

from __future__ import annotations

import hashlib
import io
import json
from pathlib import Path
from typing import Any

import pytest
from pydicom import dcmread
from pydicom.data import get_testdata_file

pytestmark = pytest.mark.e2e

CT = Path(get_testdata_file("CT_small.dcm") or "")


def _declare(stack: Any, partner: str, *, content_type: str, size: int) -> Any:
    payload = {"filename": "f", "size": size, "content_type": content_type, "sha256": "0" * 64}
    return stack.api("POST", "/uploads", partner, json=payload)


def test_the_api_serves_each_partner_its_rules(stack):
    rules = stack.api("GET", "/rules", "clinic").json()
    assert (rules["profile"], rules["version"]) == ("clinic-records", "e2e-1")
    assert rules["csv"]["required_columns"]["visit_date"] == {"type": "date", "allow_empty": False}
    assert stack.api("GET", "/rules", "acme").json()["profile"] == "default"


def test_presign_refuses_a_type_the_rules_do_not_allow(stack):
    answer = _declare(stack, "clinic", content_type="application/json", size=10)
    assert answer.status_code == 415
    assert answer.json()["error"]["code"] == "content_type_not_allowed"


def test_presign_refuses_a_size_over_the_rules_limit(stack):
    answer = _declare(stack, "clinic", content_type="text/csv", size=100_001)
    assert answer.status_code == 413
    assert answer.json()["error"]["code"] == "file_too_large"
    assert "your rules" in answer.json()["error"]["message"]


RULE_CASES = {
    "csv_missing_column": (
        "clinic",
        b"patient_ref,clinic\np-1,north\n",
        "text/csv",
        {"line": 1, "record": None, "column": "visit_date", "field": None},
    ),
    "csv_bad_value": (
        "clinic",
        b"patient_ref,visit_date\np-1,2026-11-25\np-2,25/11/2026\n",
        "text/csv",
        {"line": 3, "record": None, "column": "visit_date", "field": None},
    ),
    "csv_formula_cells": (
        "clinic",
        b"patient_ref,visit_date,note\np-1,2026-11-25,=HYPERLINK(\"x\")\n",
        "text/csv",
        {"line": 2, "record": 1, "column": "note", "field": None},
    ),
    "json_schema_mismatch": (
        "reports",
        b'{"report_id": "r1", "modality": "CT"}\n{"report_id": "r2", "modality": "XR"}\n',
        "application/x-ndjson",
        {"line": 2, "record": 2, "column": None, "field": "modality"},
    ),
    "dicom_modality_not_allowed": (
        "radiology",
        Path(get_testdata_file("rtplan.dcm") or "").read_bytes(),
        "application/dicom",
        {"line": None, "record": None, "column": None, "field": "Modality"},
    ),
}


@pytest.mark.parametrize("code", sorted(RULE_CASES))
def test_each_rule_failure_is_quarantined_with_its_code_and_location(stack, upload, code):
    partner, body, content_type, location = RULE_CASES[code]
    ticket = upload(body, content_type=content_type, partner=partner)
    record = stack.wait_final(ticket["file_id"], partner=partner)
    assert record["state"] == "quarantined"
    assert [reason["code"] for reason in record["reasons"]] == [code]
    assert record["reasons"][0]["location"] == location
    assert record["details"]["rules"].endswith("@e2e-1")


def test_a_formula_cell_is_flagged_in_the_record_when_the_rules_only_flag(stack, upload):
    ticket = upload(b"id,note\n1,ok\n2,@SUM(A1:A2)\n")
    record = stack.wait_final(ticket["file_id"])
    assert record["state"] == "processed"
    assert record["details"]["formula_cells"] == {
        "count": 1,
        "first": {"line": 3, "record": 2, "column": "note", "field": None},
    }


def test_a_real_dicom_file_is_processed_with_its_uids_and_stored_as_sent(stack, upload):
    body = CT.read_bytes()
    ticket = upload(body, filename="ct.dcm", content_type="application/dicom", partner="radiology")
    record = stack.wait_final(ticket["file_id"], partner="radiology")
    assert record["state"] == "processed", record["reasons"]
    dicom = record["details"]["dicom"]
    assert dicom["study_instance_uid"] == "1.3.6.1.4.1.5962.1.2.1.20040119072730.12322"
    assert dicom["series_instance_uid"] == "1.3.6.1.4.1.5962.1.3.1.1.20040119072730.12322"
    assert dicom["sop_instance_uid"] == "1.3.6.1.4.1.5962.1.1.1.1.1.20040119072730.12322"
    assert (dicom["modality"], dicom["study_date"]) == ("CT", "20040119")
    output = record["output"]
    assert (output["format"], output["key"]) == ("dicom", f"processed/radiology/{ticket['file_id']}.dcm")
    stored = stack.aws("s3").get_object(Bucket=output["bucket"], Key=output["key"])["Body"].read()
    assert hashlib.sha256(stored).hexdigest() == hashlib.sha256(body).hexdigest()
    assert "CompressedSamples" not in json.dumps(record)


def test_a_dcm_that_is_not_dicom_is_quarantined(stack, upload):
    ticket = upload(b"id,name\n1,Ada\n", filename="scan.dcm", content_type="application/dicom", partner="radiology")
    record = stack.wait_final(ticket["file_id"], partner="radiology")
    assert record["state"] == "quarantined"
    assert [reason["code"] for reason in record["reasons"]] == ["dicom_invalid"]


def test_five_100000_character_header_names_end_quarantined_with_one_alert(stack, upload):
    # Five names of 100,000 characters, each twice: quoted in full, the reason alone
    # would pass DynamoDB's 400 KB item limit.
    names = [letter * 100_000 for letter in "abcde"] * 2
    body = (",".join(names) + "\n" + ",".join(["1"] * 10) + "\n").encode()
    ticket = upload(body)
    record = stack.wait_final(ticket["file_id"])
    assert record["state"] == "quarantined"
    assert [reason["code"] for reason in record["reasons"]] == ["csv_no_header"]
    assert len(json.dumps(record)) < 10_000
    alerts = stack.alerts(ticket["file_id"])
    assert [alert["event"] for alert in alerts] == ["file.quarantined"]


MARKER = "Zebulon-Quixote-7431"


def _dicom_with_patient(name: str) -> bytes:
    dataset = dcmread(CT)
    dataset.PatientName = name
    dataset.PatientID = name
    out = io.BytesIO()
    dataset.save_as(out)
    return out.getvalue()


def test_no_patient_name_filename_or_file_content_reaches_logs_or_alerts(stack, upload):
    cases = [
        (f"id,name\n1,{MARKER}\n".encode(), f"{MARKER}.csv", "text/csv", "acme"),  # processed
        (f"id,name\n1,{MARKER},extra\n".encode(), f"{MARKER}-2.csv", "text/csv", "acme"),  # quarantined
        (f'{{"name": "{MARKER}", "name": 1}}\n'.encode(), f"{MARKER}.jsonl", "application/x-ndjson", "acme"),
        (f"{MARKER} is no JSON".encode(), f"{MARKER}.json", "application/json", "acme"),
        (_dicom_with_patient(MARKER), f"{MARKER}.dcm", "application/dicom", "radiology"),
        (_dicom_with_patient(MARKER)[:700], f"{MARKER}-cut.dcm", "application/dicom", "radiology"),
    ]
    alerts, file_ids = [], []
    for body, filename, content_type, partner in cases:
        ticket = upload(body, filename=filename, content_type=content_type, partner=partner)
        file_ids.append(ticket["file_id"])
        record = stack.wait_final(ticket["file_id"], partner=partner)
        assert record["state"] in {"processed", "quarantined"}
        assert MARKER not in json.dumps({k: v for k, v in record.items() if k != "filename"})
        alerts += stack.alerts(ticket["file_id"], seconds=2.0)
    assert len(alerts) == 4  # the four quarantined files
    assert MARKER not in json.dumps(alerts)
    log = stack.log.read_text(errors="replace")
    assert all(file_id in log for file_id in file_ids)  # the log does carry these files' lines
    assert MARKER not in log
