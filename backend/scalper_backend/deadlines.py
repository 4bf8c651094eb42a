"""When the sweeper looks at an open file: the deadlines a record carries in ``due_at``.

A declared file stays open until its last upload URL expired plus a grace; a processing
attempt until its lease runs out; a file queued for reprocessing until the queue should
have delivered it (a lease's length). The sweeper (``sweeping.py``) acts on what is past due.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from .adapters.files_table import FilesTable
from .config import Settings
from .records import FileRecord


def upload_deadline(now: datetime, settings: Settings) -> datetime:
    """When the sweeper may expire a declaration whose URLs were issued at ``now``."""
    return now + timedelta(seconds=settings.upload_url_ttl_seconds + settings.upload_expiry_grace_seconds)


def queue_deadline(now: datetime, settings: Settings) -> datetime:
    """When a file put back on the queue at ``now`` should have been claimed."""
    return now + timedelta(seconds=settings.processing_lease_seconds)


def keep_open(record: FileRecord, *, files: FilesTable, settings: Settings, now: datetime) -> None:
    """Fresh upload URLs were issued for an existing declaration: it stays open until they
    expire (plus the grace), whatever deadline it had."""
    if record.awaiting_bytes:
        files.keep_open(record.partner_id, record.file_id, due=upload_deadline(now, settings))
