"""Ctrl-C during ``scalper upload DIR --wait``: what finished is printed and journalled; a re-run does the rest."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(300)]

FILES = 200
ROOT = Path(__file__).resolve().parents[2]


def _done_lines(journal: Path) -> int:
    return journal.read_text().count('"kind":"done"') if journal.exists() else 0


def test_ctrl_c_prints_what_finished_and_the_re_run_completes_the_rest(stack, tmp_path: Path) -> None:
    run = uuid.uuid4().hex[:8]
    folder = tmp_path / "nightly"
    folder.mkdir()
    for i in range(FILES):
        (folder / f"{run}-{i:03d}.csv").write_text(f"id,run\n{i},{run}\n")
    journal = tmp_path / "journal.jsonl"
    command = [sys.executable, "-m", "silent_scalper", "upload", str(folder), "--wait", "--concurrency", "2"]
    env = {**os.environ, "SCALPER_ENDPOINT": stack.endpoint, "SCALPER_API_KEY": stack.keys["globex"]}
    env["SCALPER_JOURNAL"] = str(journal)

    first = subprocess.Popen(command, cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    deadline = time.monotonic() + 120
    while _done_lines(journal) < 10:
        assert first.poll() is None and time.monotonic() < deadline, "the upload ended before it could be interrupted"
        time.sleep(0.05)
    first.send_signal(signal.SIGINT)
    out, err = first.communicate(timeout=60)

    assert first.returncode == 130, err
    finished = int(re.search(r"interrupted: (\d+) file\(s\) finished and journalled in", err).group(1))  # type: ignore[union-attr]
    rows = out.splitlines()[1:]
    assert 10 <= finished < FILES
    assert len(rows) == finished
    assert all(run in row and ("pending_upload" in row or "processed" in row) for row in rows)
    assert "Traceback" not in err

    second = subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True, timeout=240)

    assert second.returncode == 0, second.stderr
    table = second.stdout.splitlines()[1:-1]
    assert len(table) == FILES
    assert all(" processed " in row for row in table)
    assert sum("uploaded by an earlier run" in row for row in table) >= finished
    assert second.stdout.splitlines()[-1].startswith(f"{FILES} files: {FILES} processed, 0 quarantined, 0 failed")
    listed = subprocess.run(
        [sys.executable, "-m", "silent_scalper", "ls", "--json"], cwd=ROOT, env=env, capture_output=True, text=True
    )
    assert listed.stdout.count(f"{run}-") == FILES  # every file once: nothing declared twice
