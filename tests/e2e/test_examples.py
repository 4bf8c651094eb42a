"""The examples in examples/ run as documented, against the local stack."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.e2e

ROOT = Path(__file__).resolve().parents[2]


def _run(stack, *command: str) -> subprocess.CompletedProcess[str]:
    """Run an example as a user would, with the stack's endpoint and a partner's key."""
    env = {**os.environ, "SCALPER_ENDPOINT": stack.endpoint, "SCALPER_API_KEY": stack.keys["acme"]}
    return subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True, timeout=90)


def test_curl_alone_does_the_whole_flow(stack):
    done = _run(stack, "bash", "examples/curl_flow.sh", "examples/data/patients.csv", "text/csv")

    assert done.returncode == 0, done.stderr
    assert done.stdout.strip().endswith("state: processed")
    assert f'"output":{{"bucket":"{stack.name("OutputBucket")}"' in done.stdout


def test_curl_flow_shows_a_quarantine(stack):
    done = _run(stack, "bash", "examples/curl_flow.sh", "examples/data/malformed.json", "application/json")

    assert done.returncode == 0, done.stderr
    assert "json_malformed" in done.stdout and done.stdout.strip().endswith("state: quarantined")


def test_sdk_quickstart_reports_each_verdict(stack):
    files = ("examples/data/patients.csv", "examples/data/ragged-rows.csv")
    done = _run(stack, sys.executable, "examples/quickstart.py", *files)

    assert done.returncode == 1  # one file was quarantined
    assert "examples/data/patients.csv: processed" in done.stdout
    assert "examples/data/ragged-rows.csv: quarantined" in done.stdout
    assert "csv_ragged_rows:" in done.stdout


def test_demo_puts_every_example_file_in_its_expected_state():
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
    done = subprocess.run(
        [sys.executable, "examples/demo.py"], cwd=ROOT, env=env, capture_output=True, text=True, timeout=180
    )

    assert done.returncode == 0, done.stdout + done.stderr
    assert "every file reached its expected state." in done.stdout
    names = ("patients.csv", "scan-reports.json", "empty.csv", "malformed.json", "ragged-rows.csv", "scan-image.csv")
    for name in names:
        assert name in done.stdout


def test_nightly_bulk_upload_reports_every_file_and_a_re_run_sends_nothing(stack, tmp_path):
    journal = tmp_path / "nightly.jsonl"
    command = (sys.executable, "examples/nightly_bulk_upload.py", "examples/data", "--journal", str(journal))

    first = _run(stack, *command)
    second = _run(stack, *command)

    assert first.returncode == 1  # examples/data holds files that are meant to be quarantined
    assert "processed    examples/data/patients.csv" in first.stdout
    assert "quarantined  examples/data/ragged-rows.csv" in first.stdout and "csv_ragged_rows: " in first.stdout
    assert first.stdout.splitlines()[-1].startswith("8 files: 4 processed, 4 quarantined, 0 not uploaded")
    assert second.stdout.splitlines()[-1].endswith("0 bytes sent")
    assert second.stdout.count(", skipped)") == 8


def test_quickstart_notebook_runs_top_to_bottom(stack, monkeypatch):
    import nbformat
    from nbclient import NotebookClient

    monkeypatch.setenv("SCALPER_ENDPOINT", stack.endpoint)
    monkeypatch.setenv("SCALPER_API_KEY", stack.keys["globex"])
    notebook = nbformat.read(ROOT / "examples" / "quickstart.ipynb", as_version=4)

    NotebookClient(
        notebook, timeout=120, kernel_name="python3", resources={"metadata": {"path": str(ROOT / "examples")}}
    ).execute()

    outputs = ["".join(o.get("text", "") or o.get("data", {}).get("text/markdown", "") for o in c.outputs)
               for c in notebook.cells if c.cell_type == "code"]
    assert "talking to " + stack.endpoint in outputs[0]
    assert "data/patients.csv" in outputs[1]
    assert "8 files are final" in outputs[2]
    assert "| ragged-rows.csv | quarantined | csv_ragged_rows: " in outputs[3]
    assert "'processed': 4" in outputs[4] and "'quarantined': 4" in outputs[4]
