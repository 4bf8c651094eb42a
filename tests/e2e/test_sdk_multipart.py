"""A multipart upload killed with SIGKILL resumes from its journal and ends processed."""

from __future__ import annotations

import hashlib
import json
import os
import signal
import subprocess
import sys
import textwrap
import time
import uuid
from pathlib import Path

import pytest

from silent_scalper import Client, FileJournal, FileState
from silent_scalper._storage import Storage

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(300)]

MIB = 1024 * 1024
PART = 5 * MIB
# The child sends one part at a time and pauses after each, so the test can kill it
# between parts; everything else is the SDK as a partner runs it.
CHILD = textwrap.dedent(
    """
    import sys, time
    from silent_scalper import Client
    from silent_scalper._storage import Storage

    real_put = Storage.put

    def slow_put(self, target, body, *, progress=None):
        etag = real_put(self, target, body, progress=progress)
        time.sleep(2.0)
        return etag

    Storage.put = slow_put
    endpoint, key, journal, path = sys.argv[1:5]
    with Client(endpoint, key, multipart_threshold=6 * 2**20, part_size=5 * 2**20, concurrency=1, journal=journal) as c:
        c.upload(path)
    """
)


@pytest.fixture
def study(tmp_path: Path) -> Path:
    """A 16 MiB CSV (four parts: 5 + 5 + 5 + 1 MiB) no other test uploads."""
    path = tmp_path / f"study-{uuid.uuid4().hex[:8]}.csv"
    row = f"{uuid.uuid4()},ct-chest,north,2026-11-25T09:00:00Z\n".encode()
    with path.open("wb") as out:
        out.write(b"scan_id,kind,clinic,taken_at\n")
        out.write(row * ((16 * MIB - 29) // len(row)))
    return path


def _parts_done(journal: Path) -> int:
    if not journal.exists():
        return 0
    lines = [json.loads(line) for line in journal.read_text().splitlines() if line.endswith("}")]
    entries = [line["v"] for line in lines if line.get("v") and line["v"].get("kind") == "multipart"]
    return len(entries[-1]["etags"]) if entries else 0


def test_an_upload_killed_with_sigkill_resumes_without_resending_finished_parts(
    stack, study: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    journal = tmp_path / "journal.jsonl"
    script = tmp_path / "child.py"
    script.write_text(CHILD)
    child = subprocess.Popen(
        [sys.executable, str(script), stack.endpoint, stack.keys["acme"], str(journal), str(study)],
        stderr=subprocess.PIPE,
        text=True,
    )
    deadline = time.monotonic() + 120
    while _parts_done(journal) < 2:
        assert child.poll() is None, child.stderr.read() if child.stderr else ""
        assert time.monotonic() < deadline, "the child never finished two parts"
        time.sleep(0.1)
    os.kill(child.pid, signal.SIGKILL)
    child.wait()
    finished_before = _parts_done(journal)

    sent: list[int] = []
    real_put = Storage.put

    def recording_put(self: Storage, target, body, *, progress=None):  # type: ignore[no-untyped-def]
        sent.append(int(target.url.split("partNumber=")[1].split("&")[0]))
        return real_put(self, target, body, progress=progress)

    monkeypatch.setattr(Storage, "put", recording_put)
    with Client(stack.endpoint, stack.keys["acme"], multipart_threshold=6 * MIB, part_size=PART, journal=journal) as c:
        record = c.upload(study)
        final = c.wait(record.file_id, timeout=180, interval=0.2)
        declared = list(c.list(q=study.name))

    assert child.returncode == -signal.SIGKILL
    assert 2 <= finished_before < 4
    assert sorted(sent) == list(range(finished_before + 1, 5))  # only the parts still missing
    assert final.state is FileState.PROCESSED, final
    assert final.sha256 == hashlib.sha256(study.read_bytes()).hexdigest()
    assert final.size == study.stat().st_size
    assert [r.file_id for r in declared] == [record.file_id]  # declared once, across both runs
    with FileJournal(journal) as after:
        assert after._entries and all(e["v"]["kind"] == "done" for e in after._entries.values())
