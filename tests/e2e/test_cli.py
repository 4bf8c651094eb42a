"""The ``scalper`` CLI against the local stack, as a partner's script would use it."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest

pytestmark = pytest.mark.e2e

ROOT = Path(__file__).resolve().parents[2]
JOURNAL = Path(tempfile.mkdtemp(prefix="scalper-e2e-")) / "journal.jsonl"


def scalper(stack, *args: str, partner: str = "globex") -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "SCALPER_ENDPOINT": stack.endpoint, "SCALPER_API_KEY": stack.keys[partner]}
    env["SCALPER_JOURNAL"] = str(JOURNAL)  # not the developer's own
    return subprocess.run(
        [sys.executable, "-m", "silent_scalper", *args], cwd=ROOT, env=env, capture_output=True, text=True, timeout=90
    )


def test_upload_wait_exits_zero_when_every_file_is_processed(stack):
    done = scalper(stack, "upload", "examples/data/patients.csv", "examples/data/vitals.jsonl", "--wait")

    assert done.returncode == 0, done.stderr
    assert [line.split()[2] for line in done.stdout.splitlines()[1:3]] == ["processed", "processed"]
    assert done.stdout.splitlines()[3].startswith("2 files: 2 processed")


def test_upload_wait_exits_one_and_names_the_reason_when_a_file_is_quarantined(stack):
    done = scalper(stack, "upload", "examples/data/ragged-rows.csv", "--wait", "--json")

    assert done.returncode == 1
    (line,) = done.stdout.strip().splitlines()
    record = json.loads(line)
    assert record["state"] == "quarantined"
    assert [r["code"] for r in record["reasons"]] == ["csv_ragged_rows"]


def test_status_and_ls_show_the_partners_own_files(stack):
    uploaded = json.loads(scalper(stack, "upload", "examples/data/scan-reports.json", "--wait", "--json").stdout)

    status = scalper(stack, "status", uploaded["file_id"], "--json")
    listing = scalper(stack, "ls", "--state", "processed", "--json")
    other = scalper(stack, "status", uploaded["file_id"], partner="acme")

    assert json.loads(status.stdout)["state"] == "processed"
    assert uploaded["file_id"] in listing.stdout
    assert other.returncode == 1 and "file_not_found" in other.stderr
    assert "Traceback" not in other.stderr


def test_bad_api_key_is_a_clear_error(stack):
    env = {**os.environ, "SCALPER_ENDPOINT": stack.endpoint, "SCALPER_API_KEY": "wrong"}
    done = subprocess.run(
        [sys.executable, "-m", "silent_scalper", "ls"], cwd=ROOT, env=env, capture_output=True, text=True, timeout=60
    )

    assert done.returncode == 1
    assert "forbidden" in done.stderr and "Traceback" not in done.stderr


def test_local_stack_on_a_taken_port_says_so_and_exits_2(stack):
    taken = stack.endpoint.split(":")[2].split("/")[0]
    done = subprocess.run(
        [sys.executable, "-m", "silent_scalper", "local", "--port", taken],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
    )

    assert done.returncode == 2
    assert done.stdout == ""  # nothing sourceable was printed
    assert f"port {taken} on 127.0.0.1 is in use; choose another with --port" in done.stderr
