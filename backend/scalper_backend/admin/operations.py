"""``scalper admin reprocess`` and ``scalper admin dlq redrive``: putting files through again.

``reprocess`` selects the files in one state (``quarantined`` or ``failed``) created in a
time window, for one partner or all, and queues each as ``POST /files/{id}/reprocess``
does (the same function, ``reprocessing.reprocess``); ``--dry-run`` lists them only.
``dlq redrive`` moves the upload events of the dead-letter queue back to the upload queue.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime

from ..adapters.files_table import TimeRange
from ..adapters.queues import Redriven, redrive
from ..errors import Conflict
from ..models import FileState
from ..onboarding import list_partners
from ..records import FileRecord, timestamp
from ..reprocessing import reprocess
from .target import Operations

_PAGE = 100


@dataclass(frozen=True)
class Outcome:
    partner_id: str
    file_id: str
    state: str  # what the file was
    result: str  # "queued", "would queue", or why it was skipped


def select(
    ops: Operations, state: FileState, *, partner: str | None, since: datetime | None, until: datetime | None
) -> Iterator[FileRecord]:
    """The files in ``state`` created in ``[since, until)``, partner by partner, newest first."""
    partners = [partner] if partner else [p.partner_id for p in list_partners(ops.partners)]
    end = timestamp(until) if until else None
    created = TimeRange(start=timestamp(since) if since else None, end=end)
    for partner_id in partners:
        start = None
        while True:
            page = ops.files.list(partner_id, state=state, limit=_PAGE, start_key=start, created=created)
            # The index's range is inclusive at both ends; until is exclusive.
            yield from (record for record in page.records if end is None or timestamp(record.created_at) < end)
            if page.last_key is None:
                break
            start = page.last_key


def reprocess_many(ops: Operations, records: Iterator[FileRecord], *, dry_run: bool) -> Iterator[Outcome]:
    """Queue each file again (or say it would be); one refused is reported and skipped."""
    for record in records:
        if dry_run:
            yield Outcome(record.partner_id, record.file_id, record.state.value, "would queue")
            continue
        try:
            reprocess(record, settings=ops.settings, files=ops.files, objects=ops.objects, events=ops.events)
        except Conflict as refused:
            yield Outcome(record.partner_id, record.file_id, record.state.value, f"skipped: {refused.message}")
            continue
        yield Outcome(record.partner_id, record.file_id, record.state.value, "queued")


def redrive_dead_letters(ops: Operations, *, limit: int | None) -> Redriven:
    return redrive(ops.sqs, dead_letter_url=ops.dead_letter_url, source_url=ops.settings.upload_queue_url, limit=limit)
