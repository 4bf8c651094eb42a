"""The SDK's bulk uploads through the local stack: one result per file, re-runs send nothing twice."""

from __future__ import annotations

import uuid
from pathlib import Path

import pytest
import requests

from silent_scalper import Client, FileReadError, FileState, UnsupportedMediaTypeError

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(300)]


@pytest.fixture(scope="module")
def batch(tmp_path_factory: pytest.TempPathFactory) -> dict[str, list[Path]]:
    """500 paths: 480 valid CSVs, 10 ragged CSVs, 5 PDFs the API refuses, 5 missing files."""
    folder = tmp_path_factory.mktemp("batch")
    run = uuid.uuid4().hex[:8]
    groups: dict[str, list[Path]] = {"valid": [], "ragged": [], "pdf": [], "missing": []}
    for i in range(480):
        groups["valid"].append(_write(folder / f"{run}-ok-{i:03d}.csv", f"id,run\n{i},{run}\n"))
    for i in range(10):
        groups["ragged"].append(_write(folder / f"{run}-ragged-{i}.csv", f"a,b\n1\n{i},{run},3\n"))
    for i in range(5):
        groups["pdf"].append(_write(folder / f"{run}-scan-{i}.pdf", f"%PDF-1.7 {run} {i}"))
    groups["missing"] = [folder / f"{run}-gone-{i}.csv" for i in range(5)]
    return groups


def _write(path: Path, text: str) -> Path:
    path.write_text(text)
    return path


def _all(batch: dict[str, list[Path]]) -> list[Path]:
    return [path for group in ("valid", "ragged", "pdf", "missing") for path in batch[group]]


class CountingSession(requests.Session):
    """Counts the API requests a client makes, by method and path."""

    def __init__(self) -> None:
        super().__init__()
        self.sent: list[tuple[str, str]] = []

    def request(self, method: str | bytes, url: str | bytes, *args: object, **kwargs: object) -> requests.Response:
        self.sent.append((str(method), str(url).split("?")[0]))
        return super().request(method, url, *args, **kwargs)  # type: ignore[arg-type]


def test_500_files_each_get_their_own_result_and_bad_ones_do_not_stop_the_rest(stack, batch) -> None:
    with Client(stack.endpoint, stack.keys["acme"]) as client:
        results = client.upload_many(_all(batch), concurrency=8)
        outcomes = {result.source: result for result in results}

        finals = {
            record.file_id: record for record in client.wait_many([r.file_id for r in results if r.ok], timeout=240)
        }

    assert len(results) == 500
    assert [r.source for r in results] == [str(p) for p in _all(batch)]
    for path in batch["pdf"]:
        error = outcomes[str(path)].error
        assert isinstance(error, UnsupportedMediaTypeError) and error.code == "unsupported_content_type"
    for path in batch["missing"]:
        assert isinstance(outcomes[str(path)].error, FileReadError)
    good = [outcomes[str(p)] for p in batch["valid"] + batch["ragged"]]
    not_uploaded = [(r.source, r.outcome, r.error) for r in good if not (r.ok and r.outcome == "uploaded")]
    assert not_uploaded == []
    assert all(r.bytes_sent == r.size for r in good)
    assert {finals[outcomes[str(p)].file_id].state for p in batch["valid"]} == {FileState.PROCESSED}
    ragged = [finals[outcomes[str(p)].file_id] for p in batch["ragged"]]
    assert all(r.state is FileState.QUARANTINED and r.reasons[0].code == "csv_ragged_rows" for r in ragged)


def test_a_re_run_sends_nothing_already_uploaded(stack, tmp_path: Path) -> None:
    # Files of its own: with tests in random order, the batch above may not be sent yet.
    run = uuid.uuid4().hex[:8]
    uploaded = [_write(tmp_path / f"{run}-again-{i:02d}.csv", f"id,run\n{i},{run}\n") for i in range(40)]
    journal = tmp_path / "journal.jsonl"
    with Client(stack.endpoint, stack.keys["acme"], journal=journal) as client:
        first = client.upload_many(uploaded)
        assert {r.outcome for r in first} == {"uploaded"}
        # wait_many is lazy: the records must be read for it to wait. A file whose bytes are
        # stored but not yet taken by the processor is still awaiting them, and the API
        # rightly gives it fresh targets (outcome "uploaded") on a re-run.
        assert len(list(client.wait_many([r.file_id for r in first], timeout=120))) == len(uploaded)

    session = CountingSession()
    with Client(stack.endpoint, stack.keys["acme"], session=session) as client:  # no journal: the API decides
        by_api = client.upload_many(uploaded)
    with Client(stack.endpoint, stack.keys["acme"], journal=journal, session=session) as client:
        sent_before = len(session.sent)
        by_journal = client.upload_many(uploaded)

    assert {r.outcome for r in by_api} == {"duplicate"}
    assert sum(r.bytes_sent for r in by_api) == 0
    assert {r.outcome for r in by_journal} == {"skipped"}
    # The journal run asked the API for nothing but the records, 100 per request.
    assert session.sent[sent_before:] == [("GET", f"{stack.endpoint}/files")]
    assert all(r.record is not None and r.record.state is FileState.PROCESSED for r in by_journal)
