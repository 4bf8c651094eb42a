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
