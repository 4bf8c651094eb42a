"""``scalper upload``: files, directories, patterns and stdin; tables, JSON, summary, exit codes."""

from __future__ import annotations

import io
import json
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sdk.fake_api import FakeApi

from silent_scalper import UploadResult, Uploads
from silent_scalper.cli import main

ENDPOINT = "http://scalper.test/v1"
CONNECTION = ["--endpoint", ENDPOINT, "--api-key", "sk-test-0123456789"]
RAGGED = [{"code": "csv_ragged_rows", "message": "row 3 has 2 fields, the header has 4"}]


@pytest.fixture
def workdir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """a.csv, b.csv and sub/c.csv in the current directory; the journal in its own place."""
    (tmp_path / "a.csv").write_bytes(b"id,name\n1,alpha\n")
    (tmp_path / "b.csv").write_bytes(b"id,name\n2,beta\n")
    (tmp_path / "sub").mkdir()
    (tmp_path / "sub" / "c.csv").write_bytes(b"id,name\n3,gamma\n")
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("SCALPER_JOURNAL", str(tmp_path / ".state" / "journal.jsonl"))
    return tmp_path


def upload(*args: str) -> int:
    return main([*CONNECTION, "upload", *args])


def test_wait_prints_a_table_a_summary_and_exits_0_when_every_file_is_processed(
    workdir: Path, fake_api: FakeApi, capsys: pytest.CaptureFixture[str]
) -> None:
    code = upload("a.csv", "b.csv", "--wait")

    lines = capsys.readouterr().out.splitlines()
    assert code == 0
    assert lines[:3] == [
        "FILE   FILE_ID  STATE      REASONS",
        "a.csv  f_a      processed  -",
        "b.csv  f_b      processed  -",
    ]
    assert lines[3].startswith("2 files: 2 processed, 0 quarantined, 0 failed, 0 errors")
    assert "files/s" in lines[3]


def test_wait_follows_all_files_with_listing_calls_not_one_get_per_file(
    workdir: Path, fake_api: FakeApi, capsys: pytest.CaptureFixture[str]
) -> None:
    for name in ("f_a", "f_b"):
        fake_api.states[name] = ["pending_upload", "processing", "processing", "processed"]

    assert upload("a.csv", "b.csv", "--wait") == 0

    assert fake_api.count("GET", "/files/f_") == 0
    assert all(sorted(ids) == ["f_a", "f_b"] or len(ids) == 1 for ids in fake_api.reads)


def test_wait_exits_1_and_shows_each_reason_with_its_message(
    workdir: Path, fake_api: FakeApi, capsys: pytest.CaptureFixture[str]
) -> None:
    fake_api.states["f_b"] = ["pending_upload", "quarantined"]
    fake_api.reasons["f_b"] = RAGGED

    code = upload("a.csv", "b.csv", "--wait")

    out = capsys.readouterr().out
    assert code == 1
    assert "b.csv  f_b      quarantined  csv_ragged_rows: row 3 has 2 fields, the header has 4" in out
    assert "1 processed, 1 quarantined, 0 failed" in out


def test_long_reason_messages_are_cut_to_one_bounded_line(
    workdir: Path, fake_api: FakeApi, capsys: pytest.CaptureFixture[str]
) -> None:
    fake_api.states["f_a"] = ["quarantined"]
    fake_api.reasons["f_a"] = [{"code": "csv_malformed", "message": "x\n" * 500}]

    upload("a.csv", "--wait")

    row = capsys.readouterr().out.splitlines()[1]
    assert row.endswith("...")
    assert len(row.split("quarantined", 1)[1].strip()) == 120


def test_without_wait_exits_0_once_the_files_are_accepted(
    workdir: Path, fake_api: FakeApi, capsys: pytest.CaptureFixture[str]
) -> None:
    fake_api.states["f_a"] = ["pending_upload"]

    code = upload("a.csv")

    out = capsys.readouterr().out
    assert code == 0
    assert "a.csv  f_a      pending_upload  -" in out
    assert "1 files: 1 accepted, 0 errors" in out


@pytest.mark.parametrize("state", ["quarantined", "failed"])
def test_without_wait_exits_1_when_a_file_is_already_quarantined_or_failed(
    workdir: Path, fake_api: FakeApi, capsys: pytest.CaptureFixture[str], state: str
) -> None:
    fake_api.states["f_a"] = ["processed"]
    fake_api.states["f_b"] = [state]

    code = upload("a.csv", "b.csv")

    assert code == 1
    assert f"b.csv  f_b      {state}" in capsys.readouterr().out


def test_json_prints_one_record_per_line_in_the_order_given(
    workdir: Path, fake_api: FakeApi, capsys: pytest.CaptureFixture[str]
) -> None:
    code = upload("b.csv", "a.csv", "--json", "--wait")

    captured = capsys.readouterr()
    lines = [json.loads(line) for line in captured.out.splitlines()]
    assert code == 0
    assert [(line["path"], line["file_id"], line["state"], line["outcome"]) for line in lines] == [
        ("b.csv", "f_b", "processed", "uploaded"),
        ("a.csv", "f_a", "processed", "uploaded"),
    ]
    assert "2 files: 2 processed" in captured.err  # the summary stays off stdout


def test_metadata_and_content_type_are_sent_for_every_file(workdir: Path, fake_api: FakeApi) -> None:
    upload("a.csv", "b.csv", "-m", "clinic=north", "--metadata", "batch=7", "--content-type", "application/x-ndjson")

    for declared in fake_api.declarations.values():
        assert declared["metadata"] == {"clinic": "north", "batch": "7"}
        assert declared["content_type"] == "application/x-ndjson"


def test_a_directory_uploads_its_files_and_recursive_its_subdirectories(
    workdir: Path, fake_api: FakeApi, capsys: pytest.CaptureFixture[str]
) -> None:
    assert upload(".") == 0
    assert sorted(fake_api.declarations) == ["f_a", "f_b"]

    assert upload(".", "--recursive") == 0
    assert sorted(fake_api.declarations) == ["f_a", "f_b", "f_c"]


def test_a_quoted_glob_pattern_is_expanded(workdir: Path, fake_api: FakeApi) -> None:
    assert upload("*.csv") == 0

    assert sorted(fake_api.declarations) == ["f_a", "f_b"]


def test_standard_input_is_uploaded_under_the_given_filename(
    workdir: Path, fake_api: FakeApi, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setattr("sys.stdin", io.TextIOWrapper(io.BytesIO(b"id\n1\n")))

    code = upload("-", "--filename", "piped.csv")

    assert code == 0
    assert fake_api.stored["f_piped"] == b"id\n1\n"
    assert "-     f_piped  processed" in capsys.readouterr().out


@pytest.mark.parametrize(
    "args",
    [["-"], ["-", "a.csv", "--filename", "x.csv"], ["a.csv", "b.csv", "--filename", "x.csv"], [".", "--filename", "x"]],
)
def test_stdin_and_filename_misuse_is_a_usage_error(
    workdir: Path, args: list[str], capsys: pytest.CaptureFixture[str]
) -> None:
    assert upload(*args) == 2
    assert capsys.readouterr().err.startswith("error: usage:")


def test_api_error_on_one_file_is_reported_and_the_others_continue(
    workdir: Path, fake_api: FakeApi, capsys: pytest.CaptureFixture[str]
) -> None:
    error = {"error": {"code": "unsupported_content_type", "message": "text/plain is not accepted", "request_id": "r"}}
    fake_api.refused["a.csv"] = (415, error)

    code = upload("a.csv", "b.csv")

    out, err = capsys.readouterr()
    assert code == 1
    assert "error: unsupported_content_type: a.csv: text/plain is not accepted (request_id r)" in err
    assert "a.csv  -        error           unsupported_content_type" in out
    assert "b.csv  f_b      pending_upload  -" in out


def test_missing_file_is_reported_without_a_traceback(
    workdir: Path, fake_api: FakeApi, capsys: pytest.CaptureFixture[str]
) -> None:
    code = upload("missing.csv")

    err = capsys.readouterr().err
    assert code == 1
    assert "error: io_error: missing.csv: cannot read missing.csv: No such file or directory" in err
    assert "Traceback" not in err


def test_malformed_metadata_is_a_usage_error(workdir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert upload("a.csv", "--metadata", "no-equals-sign") == 2
    assert "KEY=VALUE" in capsys.readouterr().err


def test_a_re_run_skips_what_the_journal_says_is_done_without_any_request(
    workdir: Path, fake_api: FakeApi, capsys: pytest.CaptureFixture[str]
) -> None:
    assert upload("a.csv", "b.csv") == 0
    declared = fake_api.count("POST", "/uploads")

    assert upload("a.csv", "b.csv") == 0

    assert fake_api.count("POST", "/uploads") == declared
    assert "uploaded by an earlier run" in capsys.readouterr().out


def test_without_a_journal_a_re_run_sends_nothing_the_api_already_has(
    workdir: Path, fake_api: FakeApi, capsys: pytest.CaptureFixture[str]
) -> None:
    upload("a.csv", "--no-journal")
    puts = fake_api.count("PUT", "storage.test")

    code = upload("a.csv", "--no-journal")

    assert code == 0
    assert fake_api.count("PUT", "storage.test") == puts
    assert "already uploaded as f_a" in capsys.readouterr().out


def test_ctrl_c_prints_what_finished_and_exits_130(
    workdir: Path, fake_api: FakeApi, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    real_start_many = Uploads._start_many

    def interrupted(self: Uploads, *args: Any, **kwargs: Any) -> Iterator[UploadResult]:
        running = real_start_many(self, *args, **kwargs)
        yield next(running)
        running.close()
        raise KeyboardInterrupt

    monkeypatch.setattr(Uploads, "_start_many", interrupted)

    code = upload("a.csv", "b.csv", "--wait")

    out, err = capsys.readouterr()
    assert code == 130
    assert len(out.splitlines()) == 2  # the header and the one file that finished
    assert "interrupted: 1 file(s) finished and journalled in" in err
    assert "run the same command again" in err


def test_quiet_prints_no_summary(workdir: Path, fake_api: FakeApi, capsys: pytest.CaptureFixture[str]) -> None:
    upload("a.csv", "--quiet")

    assert "files:" not in capsys.readouterr().out


def test_no_progress_bar_when_stderr_is_not_a_terminal(
    workdir: Path, fake_api: FakeApi, capsys: pytest.CaptureFixture[str]
) -> None:
    upload("a.csv", "b.csv")

    assert "\r" not in capsys.readouterr().err


def test_a_progress_bar_is_drawn_on_stderr_when_it_is_a_terminal(
    workdir: Path, fake_api: FakeApi, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setattr(sys.stderr, "isatty", lambda: True)

    upload("a.csv", "b.csv")

    captured = capsys.readouterr()
    assert "\r" in captured.err
    assert "2/2 files" in captured.err
    assert "\r" not in captured.out  # the table and summary stay clean


def test_the_progress_bar_shows_files_bytes_rate_and_eta(monkeypatch: pytest.MonkeyPatch) -> None:
    from silent_scalper import Progress
    from silent_scalper.cli._progress import ProgressBar

    monkeypatch.setenv("COLUMNS", "200")
    screen = io.StringIO()
    bar = ProgressBar(screen, enabled=True)
    half = Progress(
        files_done=5,
        files_failed=1,
        files_total=10,
        bytes_sent=5 * 2**20,
        bytes_done=5 * 2**20,
        bytes_total=10 * 2**20,
        elapsed_s=2.0,
    )

    bar(half)
    bar.clear()

    drawn = screen.getvalue().split("\r")[1]
    assert drawn.startswith(" 5/10 files (1 failed) [############............]  5.0 MiB/10.0 MiB  2.5 MiB/s  ETA 0:02")
    assert screen.getvalue().endswith("\r")  # cleared, the next line starts clean


def test_the_progress_bar_never_wraps_a_narrow_terminal(monkeypatch: pytest.MonkeyPatch) -> None:
    from silent_scalper import Progress
    from silent_scalper.cli._progress import ProgressBar

    monkeypatch.setenv("COLUMNS", "40")
    screen = io.StringIO()

    ProgressBar(screen, enabled=True)(Progress(1, 0, 2, 10, 10, 20, 1.0))

    assert len(screen.getvalue()) == 40  # "\r" and 39 columns
