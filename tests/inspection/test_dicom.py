"""DICOM: real files from pydicom's own test data, and files that only claim to be DICOM."""

from __future__ import annotations

import logging
import warnings
from pathlib import Path
from typing import Any

import pytest
from pydicom import dcmread
from pydicom.data import get_testdata_file
from support.inspection import codes, inspect_bytes

from scalper_inspection import Limits, Location, Rules


def sample(name: str) -> bytes:
    path = get_testdata_file(name)
    assert path is not None, name
    return Path(path).read_bytes()


def patient_values(name: str) -> list[str]:
    """The patient tags of a sample, as pydicom reads them: what must never leak."""
    dataset = dcmread(get_testdata_file(name))
    values = [str(dataset.get(keyword, "")) for keyword in ("PatientName", "PatientID", "PatientBirthDate")]
    return [value for value in values if len(value) >= 4]


def test_a_ct_scan_is_processed_with_its_identifiers_and_stored_as_sent() -> None:
    data = sample("CT_small.dcm")
    result, output = inspect_bytes(data, "application/dicom")
    assert result.ok, result.reasons
    assert (result.detected_type, result.output_format) == ("dicom", "dicom")
    assert output == data
    assert result.dicom is not None
    assert result.dicom.modality == "CT"
    assert result.dicom.study_date == "20040119"
    assert result.dicom.study_instance_uid == "1.3.6.1.4.1.5962.1.2.1.20040119072730.12322"
    assert result.dicom.series_instance_uid == "1.3.6.1.4.1.5962.1.3.1.1.20040119072730.12322"
    assert result.dicom.sop_instance_uid == "1.3.6.1.4.1.5962.1.1.1.1.1.20040119072730.12322"


@pytest.mark.parametrize("name", ["CT_small.dcm", "MR_small.dcm", "rtplan.dcm", "ExplVR_BigEnd.dcm"])
def test_patient_tags_never_reach_the_verdict(name: str) -> None:
    secrets = patient_values(name)
    assert secrets, "the sample should carry patient tags"
    result, _ = inspect_bytes(sample(name), "application/dicom")
    assert result.ok, result.reasons
    verdict = repr(result)
    for secret in secrets:
        assert secret not in verdict


def test_reading_a_header_emits_no_warning_or_log_that_could_quote_a_value(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        inspect_bytes(sample("badVR.dcm"), "application/dicom")
    secrets = patient_values("CT_small.dcm")
    assert not [w for w in caught if "pydicom" in str(w.filename)]
    assert all(secret not in caplog.text for secret in secrets)


def test_a_dcm_that_is_not_dicom_is_dicom_invalid() -> None:
    result, _ = inspect_bytes(b"id,name\n1,Ada\n", "application/dicom")
    assert codes(result) == ["dicom_invalid"]


def test_a_dataset_without_the_part_10_preamble_is_dicom_invalid() -> None:
    assert codes(inspect_bytes(sample("no_meta.dcm"), "application/dicom")[0]) == ["dicom_invalid"]


def test_an_image_of_another_kind_declared_as_dicom_is_a_type_mismatch() -> None:
    result, _ = inspect_bytes(b"\x89PNG\r\n\x1a\n" + b"\x00" * 200, "application/dicom")
    assert codes(result) == ["type_mismatch"]


def test_a_header_cut_short_lacks_its_required_tags() -> None:
    data = sample("CT_small.dcm")[:600]
    result, _ = inspect_bytes(data, "application/dicom")
    assert codes(result) == ["dicom_missing_tag"]
    assert result.reasons[0].location == Location(field="Modality")
    assert "(Modality, StudyInstanceUID, SeriesInstanceUID)" in result.reasons[0].message


def test_a_header_that_does_not_end_within_the_bounded_prefix_is_malformed() -> None:
    result, _ = inspect_bytes(sample("CT_small.dcm"), "application/dicom", limits=Limits(dicom_header_bytes=600))
    assert codes(result) == ["dicom_malformed"]


def test_a_modality_the_rules_do_not_accept_is_refused_by_name() -> None:
    rules = Rules.model_validate({"profile": "mri", "dicom": {"modalities": ["MR"]}})
    result, _ = inspect_bytes(sample("CT_small.dcm"), "application/dicom", rules=rules)
    assert codes(result) == ["dicom_modality_not_allowed"]
    assert result.reasons[0].location == Location(field="Modality")
    assert "CT" in result.reasons[0].message
    assert inspect_bytes(sample("MR_small.dcm"), "application/dicom", rules=rules)[0].ok


def _ct_with(**values: str) -> bytes:
    import io

    dataset = dcmread(get_testdata_file("CT_small.dcm"))
    out = io.BytesIO()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # pydicom warns about the bad value set on purpose
        for keyword, value in values.items():
            setattr(dataset, keyword, value)
        dataset.save_as(out)
    return out.getvalue()


def test_a_malformed_identifier_is_refused_by_tag_without_its_value_anywhere(caplog: pytest.LogCaptureFixture) -> None:
    secret = "Doe^Jane^Secret"
    data = _ct_with(SOPInstanceUID=secret)
    caplog.clear()  # pydicom logged the value while the test wrote it
    caplog.set_level(logging.DEBUG)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        result, _ = inspect_bytes(data, "application/dicom")
    assert codes(result) == ["dicom_bad_value"]
    assert result.reasons[0].location == Location(field="SOPInstanceUID")
    assert secret not in repr(result)
    assert all(secret not in str(warning.message) for warning in caught)
    assert secret not in caplog.text


@pytest.mark.parametrize(
    ("what", "mutate"),
    [
        # Found by tests/inspection/test_fuzz.py: pydicom raised BytesLengthException and
        # NotImplementedError, which escaped inspection (the processor would have retried
        # the file to the dead-letter queue instead of quarantining it).
        ("a group length of one byte", lambda data: data[:138] + b"\x01" + data[139:]),
        ("an unknown value representation", lambda data: data[:252] + b"U\x00" + data[254:]),
        # Found by the same fuzzing (a clean-clone CI run): a file cut inside the 4-byte length
        # of an OB element (struct.error from pydicom's reader).
        ("a file cut inside an element's 32-bit length", lambda data: data[:153]),
    ],
)
def test_a_header_pydicom_cannot_parse_is_dicom_malformed(what: str, mutate: Any) -> None:
    result, _ = inspect_bytes(mutate(sample("CT_small.dcm")), "application/dicom")

    assert codes(result) == ["dicom_malformed"], what
