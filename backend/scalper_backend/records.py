"""The file record: what we know about one uploaded file, and the ids and keys that name it."""

from __future__ import annotations

import hashlib
import re
import secrets
import time
from datetime import UTC, datetime
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, PlainSerializer

from scalper_inspection import DicomSummary, FormulaCells

from .models import FileState, Reason

# A record keeps this many attempts in its history, the latest ones (``attempts`` counts
# them all): 20 entries of at most 20 reason codes stay far below DynamoDB's 400 KB item.
MAX_HISTORY = 20
MAX_HISTORY_CODES = 20
# The sweeper's index spreads the open records over this many partition keys, so that no
# single partition takes every state change of every file (1,000 writes/s per partition).
DUE_SHARDS = 4
# Those partition keys: the records write them (``due_shard``), the sweeper reads each.
DUE_SHARD_KEYS = tuple(f"due#{shard}" for shard in range(DUE_SHARDS))

UPLOAD_PREFIX = "uploads/"
PARTNER_ID_PATTERN = r"^[a-z0-9][a-z0-9-]{0,39}$"
FILE_ID_PATTERN = r"^f_[0-9a-hjkmnp-tv-z]{26}$"
_CROCKFORD = "0123456789abcdefghjkmnpqrstvwxyz"
_OBJECT_KEY = re.compile(f"^{UPLOAD_PREFIX}(?P<partner>{PARTNER_ID_PATTERN[1:-1]})/(?P<file>{FILE_ID_PATTERN[1:-1]})$")


def new_file_id() -> str:
    """A ULID-style id: 48 bits of milliseconds then 80 random bits, base32, sortable by time."""
    value = (int(time.time() * 1000) << 80) | secrets.randbits(80)
    chars = []
    for _ in range(26):
        value, digit = divmod(value, 32)
        chars.append(_CROCKFORD[digit])
    return "f_" + "".join(reversed(chars))


def object_key(partner_id: str, file_id: str) -> str:
    """The input-bucket key for a file. Built only from ids we issued, never from a filename."""
    return f"{UPLOAD_PREFIX}{partner_id}/{file_id}"


def quarantine_key(partner_id: str, file_id: str) -> str:
    """The quarantine-bucket key of a quarantined file's bytes."""
    return f"quarantine/{partner_id}/{file_id}"


def parse_object_key(key: str) -> tuple[str, str] | None:
    """``(partner_id, file_id)`` for a key made by :func:`object_key`, else ``None``."""
    match = _OBJECT_KEY.match(key)
    return (match["partner"], match["file"]) if match else None


def duplicate_key(sha256: str, filename: str) -> str:
    """The sort key of the item that holds a partner's (sha256, filename) for one file.

    A digest, so that the filename never becomes part of a key; ``dup#`` keeps it apart
    from file ids (it never matches ``FILE_ID_PATTERN``, so the API cannot read it).
    """
    return "dup#" + hashlib.sha256(f"{sha256}/{filename}".encode()).hexdigest()


def due_shard(file_id: str) -> str:
    """The partition of the sweeper's index a file's record lives in while it is open."""
    return DUE_SHARD_KEYS[hashlib.sha256(file_id.encode()).digest()[0] % DUE_SHARDS]


def utcnow() -> datetime:
    return datetime.now(UTC)


def timestamp(moment: datetime) -> str:
    """Fixed-width UTC text, e.g. ``2026-11-25T21:37:20.123456Z``: it sorts as a string,
    which the table's indexes rely on (pydantic would drop a zero microsecond part)."""
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


Timestamp = Annotated[datetime, PlainSerializer(timestamp, return_type=str, when_used="json")]


class OutputLocation(BaseModel):
    bucket: str
    key: str
    format: str
    size: int


class ObjectLocation(BaseModel):
    bucket: str
    key: str


class ProcessingError(BaseModel):
    code: str
    message: str
    retryable: bool


class FileDetails(BaseModel):
    """What processing found: the type from the bytes, the shape, and how long it took."""

    detected_type: str | None = None
    rows: int | None = None
    columns: int | None = None
    rules: str | None = Field(default=None, description="The rules that judged the file: profile@version.")
    formula_cells: FormulaCells | None = Field(default=None, description="CSV cells a spreadsheet would execute.")
    dicom: DicomSummary | None = Field(default=None, description="A DICOM file's non-patient identifiers.")
    duration_ms: float | None = Field(default=None, description="Validating and writing the output.")
    queued_ms: float | None = Field(default=None, description="From the upload to the start of processing.")


class Attempt(BaseModel):
    """How one processing attempt ended: ids, codes and times only, bounded in size."""

    model_config = ConfigDict(frozen=True)

    attempt: int
    state: FileState
    reasons: list[str] = Field(default_factory=list, description="Reason codes (a closed set), at most 20.")
    error: str | None = Field(default=None, description="The error code of a failed attempt.")
    started_at: Timestamp | None = None
    finished_at: Timestamp


def with_attempt(history: list[Attempt], attempt: Attempt) -> list[Attempt]:
    """The history with one more attempt, keeping the latest `MAX_HISTORY`."""
    bounded = attempt.model_copy(update={"reasons": [code[:64] for code in attempt.reasons[:MAX_HISTORY_CODES]]})
    return [*history, bounded][-MAX_HISTORY:]


class FileFields(BaseModel):
    """What partners may see of a file (the API's ``FileView`` is exactly this)."""

    model_config = ConfigDict(frozen=True)

    file_id: str
    state: FileState
    filename: str
    size: int
    content_type: str
    sha256: str
    metadata: dict[str, str] = Field(default_factory=dict)
    created_at: Timestamp
    updated_at: Timestamp
    uploaded_at: Timestamp | None = None
    finished_at: Timestamp | None = None
    attempts: int = 0
    reasons: list[Reason] = Field(default_factory=list)
    details: FileDetails | None = None
    output: OutputLocation | None = None
    quarantine: ObjectLocation | None = None
    error: ProcessingError | None = None
    history: list[Attempt] = Field(
        default_factory=list, description="How earlier attempts ended (reprocessing, retries), oldest first."
    )


class MultipartUpload(BaseModel):
    """The S3 multipart upload a file's bytes arrive through (internal, never shown)."""

    upload_id: str
    part_size: int
    part_count: int
    # S3 has assembled the object; the processor may not have claimed it yet.
    completed: bool = False


class FileRecord(FileFields):
    """One file, as stored in the files table. ``partner_id`` + ``file_id`` is the key."""

    partner_id: str
    object_key: str
    lease_expires_at: Timestamp | None = None
    # When the sweeper must look at the file if nothing else happened to it: a pending
    # upload's URL expiry plus a grace, a processing attempt's lease, a queued reprocess's
    # wait. Set only while the file is open (the sweeper's index is sparse).
    due_at: Timestamp | None = None
    multipart: MultipartUpload | None = None
    # The declared SHA-256 of each part, 32 bytes each in part order: what each part URL
    # is signed over and what CompleteMultipartUpload is given. Dropped once processing
    # starts (they can be 320 KB for 10,000 parts).
    part_sha256: bytes | None = None

    @property
    def awaiting_bytes(self) -> bool:
        """Declared, and its bytes have not all arrived: an upload target still makes sense."""
        completed = self.multipart is not None and self.multipart.completed
        return self.state == FileState.PENDING_UPLOAD and not completed

    def part_checksum(self, part_number: int) -> bytes:
        """The declared SHA-256 digest of one part (numbered from 1)."""
        digests = self.part_sha256 or b""
        return digests[(part_number - 1) * 32 : part_number * 32]
