"""The ``scalper`` command line: output, exit codes, and errors without tracebacks."""

from __future__ import annotations

import json
import subprocess
import sys
import types
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import responses

from silent_scalper.cli import main

ENDPOINT = "http://scalper.test/v1"
API_KEY = "sk-test-0123456789"
CONNECTION = ["--endpoint", ENDPOINT, "--api-key", API_KEY]
Payload = Callable[..., dict[str, Any]]
QUARANTINE_REASONS = [{"code": "csv_ragged_rows", "message": "row 3 has 2 fields, the header has 4"}]


@pytest.fixture
def workdir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A directory holding a.csv and b.csv, and the current directory."""
    (tmp_path / "a.csv").write_bytes(b"id,name\n1,alpha\n")
    (tmp_path / "b.csv").write_bytes(b"id,name\n2,beta\n")
    monkeypatch.chdir(tmp_path)
    return tmp_path


def test_status_prints_state_reasons_and_quarantine(
    api: responses.RequestsMock, payload: Payload, capsys: pytest.CaptureFixture[str]
) -> None:
    record = payload("file_record_quarantined")
    api.get(f"{ENDPOINT}/files/{record['file_id']}", json=record)

    code = main([*CONNECTION, "status", record["file_id"]])

    out = capsys.readouterr().out
    assert code == 0
    assert "state       quarantined" in out
    assert "reason      csv_ragged_rows: row 3 has 2 fields, the header has 4" in out
    assert f"quarantine  s3://scalper-quarantine-123/quarantine/acme/{record['file_id']}.csv" in out


def test_status_prints_the_output_location_of_a_processed_file(
    api: responses.RequestsMock, payload: Payload, capsys: pytest.CaptureFixture[str]
) -> None:
    record = payload("file_record_processed")
    api.get(f"{ENDPOINT}/files/{record['file_id']}", json=record)

    main([*CONNECTION, "status", record["file_id"]])

    assert f"output      s3://scalper-output-123/processed/acme/{record['file_id']}.jsonl" in capsys.readouterr().out


def test_status_json_prints_the_record(
    api: responses.RequestsMock, payload: Payload, capsys: pytest.CaptureFixture[str]
) -> None:
    record = payload("file_record_processed")
    api.get(f"{ENDPOINT}/files/{record['file_id']}", json=record)

    main([*CONNECTION, "status", record["file_id"], "--json"])

    printed = json.loads(capsys.readouterr().out)
    assert (printed["file_id"], printed["state"]) == (record["file_id"], "processed")
    assert printed["output"] == record["output"]


def test_status_of_an_unknown_file_prints_the_error_code_and_exits_1(
    api: responses.RequestsMock, error_body: Callable[..., dict[str, Any]], capsys: pytest.CaptureFixture[str]
) -> None:
    api.get(f"{ENDPOINT}/files/f_nope", status=404, json=error_body("file_not_found", "no such file", "r-9"))

    code = main([*CONNECTION, "status", "f_nope"])

    err = capsys.readouterr().err
    assert code == 1
    assert err == "error: file_not_found: no such file (request_id r-9)\n"


def test_ls_prints_a_table_newest_first(
    api: responses.RequestsMock, payload: Payload, capsys: pytest.CaptureFixture[str]
) -> None:
    newest = payload("file_record_quarantined")
    older = payload("file_record_processed")
    api.get(f"{ENDPOINT}/files", json={"files": [newest, older], "next_cursor": None})

    code = main([*CONNECTION, "ls"])

    lines = capsys.readouterr().out.splitlines()
    assert code == 0
    assert lines[0].split() == ["FILE_ID", "STATE", "SIZE", "CREATED_AT", "FILENAME"]
    assert lines[1].split() == [newest["file_id"], "quarantined", "31", "2026-11-25T21:38:00+00:00", "broken.csv"]
    assert lines[2].split()[:2] == [older["file_id"], "processed"]


def test_ls_limit_caps_the_total_and_the_page_size(
    api: responses.RequestsMock, payload: Payload, capsys: pytest.CaptureFixture[str]
) -> None:
    files = [payload("file_record_processed", file_id=f"f_{i}") for i in range(3)]
    api.get(f"{ENDPOINT}/files", json={"files": files, "next_cursor": "more"})

    main([*CONNECTION, "ls", "--limit", "2", "--state", "processed", "--json"])

    printed = [json.loads(line)["file_id"] for line in capsys.readouterr().out.splitlines()]
    assert printed == ["f_0", "f_1"]
    assert len(api.calls) == 1
    assert "limit=2" in (api.calls[0].request.url or "")
    assert "state=processed" in (api.calls[0].request.url or "")


def test_missing_configuration_exits_2_with_a_message_and_no_traceback(
    workdir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code = main(["upload", "a.csv", "--no-journal"])

    err = capsys.readouterr().err
    assert code == 2
    assert err.startswith("error: configuration_error: no endpoint")
    assert "Traceback" not in err


def test_configuration_comes_from_the_environment(
    monkeypatch: pytest.MonkeyPatch, api: responses.RequestsMock, payload: Payload
) -> None:
    monkeypatch.setenv("SCALPER_ENDPOINT", ENDPOINT)
    monkeypatch.setenv("SCALPER_API_KEY", "env-key")
    api.get(f"{ENDPOINT}/files", json={"files": [], "next_cursor": None})

    code = main(["ls"])

    assert code == 0
    assert api.calls[0].request.headers["x-api-key"] == "env-key"


def test_connection_options_are_accepted_after_the_command(api: responses.RequestsMock, payload: Payload) -> None:
    api.get(f"{ENDPOINT}/files", json={"files": [], "next_cursor": None})

    assert main(["ls", *CONNECTION]) == 0


def test_unknown_option_is_a_usage_error(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["ls", "--colour"]) == 2
    assert "unrecognized arguments: --colour" in capsys.readouterr().err


def test_local_without_the_backend_exits_2_with_install_instructions(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    # None in sys.modules makes the import fail as if the backend were not installed.
    monkeypatch.setitem(sys.modules, "scalper_backend.local.cli", None)

    code = main(["local", "--port", "0"])

    err = capsys.readouterr().err
    assert code == 2
    assert "pip install -e 'backend[local]'" in err
    assert "Traceback" not in err


def test_local_hands_every_argument_to_the_backend(monkeypatch: pytest.MonkeyPatch) -> None:
    received: list[list[str]] = []

    def fake_main(argv: list[str]) -> int:
        received.append(argv)
        return 7

    fake_cli = types.ModuleType("scalper_backend.local.cli")
    fake_cli.main = fake_main  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, "scalper_backend.local.cli", fake_cli)

    code = main(["local", "--port", "0", "--partner", "acme", "--help"])

    assert code == 7
    assert received == [["--port", "0", "--partner", "acme", "--help"]]


def test_python_dash_m_runs_the_cli() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "silent_scalper", "--version"], capture_output=True, text=True, check=False
    )

    assert result.returncode == 0
    assert result.stdout.startswith("scalper ")
