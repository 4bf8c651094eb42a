"""The files table's conditional writes: the claim's attempt number is the token that lets
an attempt record its outcome, so a stale attempt cannot overwrite a newer one."""

from __future__ import annotations

from datetime import timedelta

import pytest

from scalper_backend.errors import StateConflict
from scalper_backend.models import FileState
from scalper_backend.records import FileRecord, object_key, utcnow

LEASE = timedelta(minutes=16)


@pytest.fixture
def pending(backend) -> FileRecord:
    now = utcnow()
    record = FileRecord(
        partner_id="acme",
        file_id="f_01jdq3w6x1f8m3zq1v6k7c2n4r",
        state=FileState.PENDING_UPLOAD,
        filename="f.csv",
        size=4,
        content_type="text/csv",
        sha256="0" * 64,
        object_key=object_key("acme", "f_01jdq3w6x1f8m3zq1v6k7c2n4r"),
        created_at=now,
        updated_at=now,
    )
    backend.deps.files.put_new(record)
    return record


def _claim(backend, record: FileRecord, *, hours_ago: float = 0) -> FileRecord:
    return backend.deps.files.claim(
        record.partner_id, record.file_id, now=utcnow() - timedelta(hours=hours_ago), lease=LEASE
    )


def _outcome(claimed: FileRecord, state: FileState) -> FileRecord:
    return claimed.model_copy(update={"state": state, "lease_expires_at": None})


def test_the_attempt_holding_the_claim_records_its_outcome(backend, pending):
    claimed = _claim(backend, pending)

    backend.deps.files.finish(claimed, _outcome(claimed, FileState.PROCESSED))

    assert backend.deps.files.get(pending.partner_id, pending.file_id).state == FileState.PROCESSED


def test_a_stale_attempt_cannot_overwrite_a_newer_one(backend, pending):
    stale = _claim(backend, pending, hours_ago=1)  # its lease ran out: presumed dead
    newer = _claim(backend, pending)
    assert (stale.attempts, newer.attempts) == (1, 2)

    with pytest.raises(StateConflict):
        backend.deps.files.finish(stale, _outcome(stale, FileState.QUARANTINED))

    current = backend.deps.files.get(pending.partner_id, pending.file_id)
    assert (current.state, current.attempts) == (FileState.PROCESSING, 2)
    backend.deps.files.finish(newer, _outcome(newer, FileState.PROCESSED))  # the newer one still can
    assert backend.deps.files.get(pending.partner_id, pending.file_id).state == FileState.PROCESSED


def test_restore_puts_the_previous_record_back_while_the_record_is_unchanged(backend, pending):
    claimed = _claim(backend, pending)

    backend.deps.files.restore(claimed, pending)

    assert backend.deps.files.get(pending.partner_id, pending.file_id) == pending


def test_restore_leaves_a_record_that_moved_on_as_it_is(backend, pending):
    claimed = _claim(backend, pending)
    backend.deps.files.finish(claimed, _outcome(claimed, FileState.PROCESSED))

    backend.deps.files.restore(claimed, pending)  # no error: the newer record stands

    assert backend.deps.files.get(pending.partner_id, pending.file_id).state == FileState.PROCESSED


def test_a_declaration_is_expired_only_while_its_deadline_is_the_one_read(backend, pending):
    files = backend.deps.files
    files.keep_open(pending.partner_id, pending.file_id, due=utcnow() - timedelta(minutes=1))
    seen = files.get(pending.partner_id, pending.file_id)
    assert seen is not None
    files.keep_open(pending.partner_id, pending.file_id, due=utcnow() + timedelta(hours=1))  # fresh URLs

    with pytest.raises(StateConflict):
        files.expire(seen, now=utcnow())
    assert files.get(pending.partner_id, pending.file_id).state is FileState.PENDING_UPLOAD

    expired = files.expire(files.get(pending.partner_id, pending.file_id), now=utcnow())
    assert expired.state is FileState.EXPIRED and expired.due_at is None
