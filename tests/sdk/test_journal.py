"""The resume journal: survives the process, ignores a torn last line, forgets what is removed."""

from __future__ import annotations

import os
import stat
from pathlib import Path

from silent_scalper import FileJournal, Journal, MemoryJournal
from silent_scalper._journal import journal_key


def test_entries_survive_reopening(tmp_path: Path) -> None:
    path = tmp_path / "state" / "journal.jsonl"
    with FileJournal(path) as journal:
        journal.set("a", {"kind": "done", "file_id": "f_a"})
        journal.set("b", {"kind": "multipart", "etags": {"1": '"x"'}})
        journal.set("b", {"kind": "multipart", "etags": {"1": '"x"', "2": '"y"'}})
        journal.remove("a")

    with FileJournal(path) as again:
        assert again.get("a") is None
        assert again.get("b") == {"kind": "multipart", "etags": {"1": '"x"', "2": '"y"'}}
    assert len(path.read_text().splitlines()) == 1  # compacted on open


def test_a_line_cut_short_by_a_kill_is_ignored(tmp_path: Path) -> None:
    path = tmp_path / "journal.jsonl"
    with FileJournal(path) as journal:
        journal.set("a", {"kind": "done", "file_id": "f_a"})
    with path.open("a") as raw:
        raw.write('{"k":"b","v":{"kind":"mul')

    with FileJournal(path) as again:
        assert again.get("a") == {"kind": "done", "file_id": "f_a"}
        assert again.get("b") is None


def test_the_journal_file_is_private(tmp_path: Path) -> None:
    path = tmp_path / "journal.jsonl"
    FileJournal(path).close()

    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600


def test_both_journals_follow_the_interface(tmp_path: Path) -> None:
    assert isinstance(MemoryJournal(), Journal)
    with FileJournal(tmp_path / "journal.jsonl") as journal:
        assert isinstance(journal, Journal)


def test_keys_change_with_the_file_the_partner_and_the_endpoint() -> None:
    base = {"scope": "apikey:1", "endpoint": "http://x/v1", "path": "/a.csv", "size": 3, "mtime_ns": 1, "filename": "a"}

    changed = [journal_key(**(base | {name: value})) for name, value in (
        ("scope", "apikey:2"), ("endpoint", "http://y/v1"), ("path", "/b.csv"), ("size", 4), ("mtime_ns", 2),
        ("filename", "b"),
    )]

    assert journal_key(**base) not in changed and len(set(changed)) == len(changed)
