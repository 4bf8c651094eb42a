"""The payload models: forward compatible, and ``is_final`` as the API reference says."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import pytest

from silent_scalper import FilePage, FileRecord, FileState, UploadTicket

Payload = Callable[..., dict[str, Any]]


def test_file_record_parses_the_documented_example(payload: Payload) -> None:
    record = FileRecord.model_validate(payload("file_record_processed"))

    assert record.state is FileState.PROCESSED
    assert record.created_at == datetime(2026, 11, 25, 21, 37, 20, 123456, tzinfo=UTC)
    assert record.output is not None and record.output.format == "jsonl"
    assert record.details is not None and record.details.rows == 12


def test_unknown_fields_from_a_newer_server_are_ignored(payload: Payload) -> None:
    record = FileRecord.model_validate(payload("file_record_processed", retention_days=30, labels=["x"]))

    assert record.file_id == "f_01jdq3w6x1f8m3zq1v6k7c2n4r"


def test_upload_ticket_parses_expiry_as_a_datetime(payload: Payload) -> None:
    ticket = UploadTicket.model_validate(payload("upload_ticket"))

    assert ticket.expires_at == datetime(2026, 11, 25, 21, 52, 20, tzinfo=UTC)
    assert ticket.upload.headers["Content-Length"] == "24"


def test_last_page_has_no_cursor(payload: Payload) -> None:
    page = FilePage.model_validate({"files": [payload("file_record_processed")], "next_cursor": None})

    assert page.next_cursor is None
    assert len(page.files) == 1


@pytest.mark.parametrize(
    ("state", "error", "final"),
    [
        ("pending_upload", None, False),
        ("processing", None, False),
        ("processed", None, True),
        ("quarantined", None, True),
        ("failed", {"code": "internal_error", "message": "boom", "retryable": True}, False),
        ("failed", {"code": "internal_error", "message": "boom", "retryable": False}, True),
    ],
)
def test_is_final_follows_the_state_table(
    payload: Payload, state: str, error: dict[str, Any] | None, final: bool
) -> None:
    record = FileRecord.model_validate(payload("file_record_processed", state=state, error=error))

    assert record.is_final is final
