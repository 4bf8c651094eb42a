"""The examples in examples/ run as documented, against the local stack."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.e2e

ROOT = Path(__file__).resolve().parents[2]


def _env(stack, partner: str = "acme") -> dict[str, str]:
    return {**os.environ, "SCALPER_ENDPOINT": stack.endpoint, "SCALPER_API_KEY": stack.keys[partner]}


def test_curl_alone_does_the_whole_flow(stack):
    done = subprocess.run(
        ["bash", "examples/curl_flow.sh", "examples/data/patients.csv", "text/csv"],
        cwd=ROOT,
        env=_env(stack),
        capture_output=True,
        text=True,
        timeout=90,
    )

    assert done.returncode == 0, done.stderr
    assert done.stdout.strip().endswith("state: processed")
    assert '"output":{"bucket":"scalper-local-output-123456789012"' in done.stdout


def test_curl_flow_shows_a_quarantine(stack):
    done = subprocess.run(
        ["bash", "examples/curl_flow.sh", "examples/data/malformed.json", "application/json"],
        cwd=ROOT,
        env=_env(stack),
        capture_output=True,
        text=True,
        timeout=90,
    )

    assert done.returncode == 0, done.stderr
    assert "json_malformed" in done.stdout and done.stdout.strip().endswith("state: quarantined")


def test_sdk_quickstart_reports_each_verdict(stack):
    done = subprocess.run(
        [sys.executable, "examples/quickstart.py", "examples/data/patients.csv", "examples/data/ragged-rows.csv"],
        cwd=ROOT,
        env=_env(stack),
        capture_output=True,
        text=True,
        timeout=90,
    )

    assert done.returncode == 1  # one file was quarantined
    assert "examples/data/patients.csv: processed" in done.stdout
    assert "examples/data/ragged-rows.csv: quarantined" in done.stdout
    assert "csv_ragged_rows:" in done.stdout


def test_demo_puts_every_example_file_in_its_expected_state():
    done = subprocess.run(
        [sys.executable, "examples/demo.py"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=180,
        env={k: v for k, v in os.environ.items() if not k.startswith("AWS_")},
    )

    assert done.returncode == 0, done.stdout + done.stderr
    assert "every file reached its expected state." in done.stdout
    for name in (
        "patients.csv",
        "scan-reports.json",
        "empty.csv",
        "malformed.json",
        "ragged-rows.csv",
        "scan-image.csv",
    ):
        assert name in done.stdout
