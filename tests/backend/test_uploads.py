"""Declaring uploads against moto: duplicates, multipart plans, completion, cancellation."""

from __future__ import annotations

import base64
import hashlib
import json
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest

from scalper_backend.api.schemas import CompleteRequest, PartsRequest, UploadRequest
from scalper_backend.deadlines import upload_deadline
from scalper_backend.errors import (
    Conflict,
    FileNotFound,
    FileTooLarge,
    InvalidRequest,
    UnsupportedContentType,
    UploadIncomplete,
)
from scalper_backend.listing import ListQuery, list_files
from scalper_backend.models import MIN_PART_BYTES, FileState
from scalper_backend.multipart import complete_upload, refresh_parts
from scalper_backend.notifications import S3ObjectRef
from scalper_backend.observability import publish_metrics
from scalper_backend.records import duplicate_key
from scalper_backend.uploads import cancel_upload, create_upload
from scalper_inspection import Rules

BODY = b"a,b\n1,2\n"


def _request(body: bytes = BODY, **changes: Any) -> UploadRequest:
    fields = {"filename": "f.csv", "size": len(body), "content_type": "text/csv"}
    return UploadRequest.model_validate({**fields, "sha256": hashlib.sha256(body).hexdigest(), **changes})


def _multipart(parts: list[bytes], part_size: int = MIN_PART_BYTES, **changes: Any) -> UploadRequest:
    whole = b"".join(parts)
    declared = [{"part_number": n, "sha256": hashlib.sha256(p).hexdigest()} for n, p in enumerate(parts, 1)]
    return _request(whole, parts=declared, part_size=part_size, **changes)


def _declare(backend, request: UploadRequest, partner: str = "acme", rules: Rules | None = None):
    rules = rules or backend.deps.rules.for_partner(partner)
    return create_upload(request, partner, rules=rules, **_stores(backend))


def _stores(backend) -> dict[str, Any]:
    return {"settings": backend.settings, "files": backend.deps.files, "objects": backend.deps.objects}


# A declaration, and a request for fresh URLs for it a day later.
EARLIER = datetime(2026, 11, 25, 9, 0, tzinfo=UTC)
LATER = EARLIER + timedelta(days=1)

ANY_PART_1 = CompleteRequest(parts=[{"part_number": 1, "etag": '"e"'}])


def _complete(backend, file_id: str, listed: CompleteRequest):
    return complete_upload("acme", file_id, listed, **_stores(backend))


def _put(backend, ticket, body: bytes = BODY, partner: str = "acme") -> S3ObjectRef:
    key = f"uploads/{partner}/{ticket.file_id}"
    backend.clients["s3"].put_object(Bucket=backend.settings.input_bucket, Key=key, Body=body)
    return S3ObjectRef(bucket=backend.settings.input_bucket, key=key)


def _s3_uploads(backend) -> list[dict[str, Any]]:
    return backend.clients["s3"].list_multipart_uploads(Bucket=backend.settings.input_bucket).get("Uploads", [])


# -- duplicates


def test_the_same_file_declared_again_while_pending_gets_the_same_id_and_fresh_targets(backend):
    first = _declare(backend, _request())
    again = _declare(backend, _request())

    assert again.file_id == first.file_id and again.duplicate_of is None
    assert again.upload is not None and again.state == FileState.PENDING_UPLOAD


def test_a_file_declared_again_while_pending_is_counted_as_declared_once(backend, capsys, monkeypatch):
    monkeypatch.setenv("POWERTOOLS_METRICS_NAMESPACE", "test")

    publish_metrics(lambda: [_declare(backend, _request()) for _ in range(2)])()

    blobs = [json.loads(line) for line in capsys.readouterr().out.splitlines() if line.startswith('{"_aws"')]
    assert [blob["FilesDeclared"] for blob in blobs if "FilesDeclared" in blob] == [[1.0]]


def test_the_same_file_declared_after_its_upload_is_a_duplicate_with_nothing_to_send(backend):
    first = _declare(backend, _request())
    backend.deps.processor.process(_put(backend, first))

    again = _declare(backend, _request())

    assert (again.file_id, again.duplicate_of, again.state) == (first.file_id, first.file_id, FileState.PROCESSED)
    assert again.upload is None and again.multipart is None and again.expires_at is None


@pytest.mark.parametrize(
    "change",
    [{"filename": "other.csv"}, {"allow_duplicate": True}],
    ids=["another filename", "allow_duplicate"],
)
def test_another_filename_or_allow_duplicate_makes_a_new_file(backend, change):
    first = _declare(backend, _request())

    assert _declare(backend, _request(**change)).file_id != first.file_id


def test_the_same_content_under_another_partner_is_another_file(backend):
    assert _declare(backend, _request(), "acme").file_id != _declare(backend, _request(), "globex").file_id


def test_a_cancelled_file_does_not_hold_its_name(backend):
    first = _declare(backend, _request())
    cancel_upload("acme", first.file_id, **_stores(backend))

    again = _declare(backend, _request())

    assert again.file_id != first.file_id and again.upload is not None
    assert _declare(backend, _request()).file_id == again.file_id  # the new file holds the name now


def _read_before_the_first_write(monkeypatch, files) -> list[tuple[str, ...]]:
    """The race: this declaration looks the name up before a concurrent one writes it."""
    real_name_holder, lookups = files.name_holder, []

    def stale_once(*args):
        lookups.append(args)
        return None if len(lookups) == 1 else real_name_holder(*args)

    monkeypatch.setattr(files, "name_holder", stale_once)
    return lookups


@pytest.mark.parametrize("multipart", [False, True], ids=["single PUT", "multipart"])
def test_a_declaration_that_read_before_a_concurrent_one_wrote_still_gets_the_one_file(backend, monkeypatch, multipart):
    # The name item is written in the record's transaction, so the late writer fails,
    # aborts what it started in S3, and reads the winner.
    files = backend.deps.files
    request = _multipart([b"x" * 10]) if multipart else _request()
    first = _declare(backend, request)
    lookups = _read_before_the_first_write(monkeypatch, files)

    again = _declare(backend, request)

    assert again.file_id == first.file_id and len(lookups) == 2  # lost the race, then read the winner
    assert [f.file_id for f in list_files(files, "acme", ListQuery()).files] == [first.file_id]
    assert len(_s3_uploads(backend)) == (1 if multipart else 0)


def test_a_name_whose_file_record_is_gone_is_taken_over(backend):
    first = _declare(backend, _request())
    key = {"partner_id": {"S": "acme"}, "file_id": {"S": first.file_id}}
    backend.clients["dynamodb"].delete_item(TableName=backend.settings.files_table, Key=key)

    again = _declare(backend, _request())

    assert again.file_id != first.file_id and again.upload is not None


def test_the_name_item_is_invisible_to_listings_and_reads(backend):
    ticket = _declare(backend, _request())
    name = duplicate_key(_request().sha256, "f.csv")

    assert [f.file_id for f in list_files(backend.deps.files, "acme", ListQuery()).files] == [ticket.file_id]
    with pytest.raises(FileNotFound):
        _complete(backend, name, ANY_PART_1)


# -- sizes


def test_a_single_put_over_5_gib_is_refused_even_when_the_limit_allows_more(backend):
    backend.settings = backend.settings.model_copy(update={"max_upload_bytes": 6 * 1024**3})

    with pytest.raises(FileTooLarge, match="send parts"):
        _declare(backend, _request(size=5 * 1024**3 + 1))


# -- partner rules: checked before anything is read, written or started

CSV_ONLY = Rules(profile="csv-only", allowed_types=("text/csv",), max_size=MIN_PART_BYTES + 10)


@pytest.mark.parametrize(
    ("request_", "refusal"),
    [
        (lambda: _request(b"{}", content_type="application/json"), "not allowed by your rules"),
        (lambda: _multipart([b"{" * MIN_PART_BYTES, b"}"], content_type="application/json"), "not allowed"),
        (lambda: _multipart([b"a" * MIN_PART_BYTES, b"b" * 11]), "set by your rules"),
    ],
    ids=["type, one PUT", "type, multipart", "max_size, multipart"],
)
def test_a_declaration_the_rules_refuse_leaves_no_record_and_starts_no_upload(backend, request_, refusal):
    with pytest.raises((UnsupportedContentType, FileTooLarge), match=refusal) as err:
        _declare(backend, request_(), rules=CSV_ONLY)

    if isinstance(err.value, UnsupportedContentType):
        assert err.value.code == "content_type_not_allowed"
    assert list_files(backend.deps.files, "acme", ListQuery()).files == []
    assert _s3_uploads(backend) == []


def test_a_file_the_rules_allow_is_still_one_file_when_declared_again(backend):
    first = _declare(backend, _multipart([b"a" * MIN_PART_BYTES, b"b" * 10]), rules=CSV_ONLY)
    again = _declare(backend, _multipart([b"a" * MIN_PART_BYTES, b"b" * 10]), rules=CSV_ONLY)

    assert again.file_id == first.file_id and again.multipart is not None
    assert len(_s3_uploads(backend)) == 1


# -- multipart


def test_a_multipart_declaration_signs_each_part_over_its_length_and_checksum(backend):
    parts = [b"x" * MIN_PART_BYTES, b"y" * 10]
    ticket = _declare(backend, _multipart(parts))

    assert ticket.upload is None and ticket.multipart is not None
    assert [p.part_number for p in ticket.multipart.parts] == [1, 2]
    for target, part in zip(ticket.multipart.parts, parts, strict=True):
        checksum = base64.b64encode(hashlib.sha256(part).digest()).decode()
        assert target.headers == {"Content-Length": str(len(part)), "x-amz-checksum-sha256": checksum}
        query = parse_qs(urlsplit(target.url).query)
        assert query["X-Amz-SignedHeaders"] == ["content-length;host;x-amz-checksum-sha256"]
        assert query["partNumber"] == [str(target.part_number)]
    (upload,) = _s3_uploads(backend)
    assert upload["Key"] == f"uploads/acme/{ticket.file_id}" and upload["ChecksumAlgorithm"] == "SHA256"


def test_the_upload_id_never_reaches_the_partners_view(backend):
    ticket = _declare(backend, _multipart([b"x" * 10]))
    record = backend.deps.files.get("acme", ticket.file_id)

    view = list_files(backend.deps.files, "acme", ListQuery()).files[0].model_dump_json()

    assert record.multipart is not None and record.multipart.upload_id not in view
    assert "upload_id" not in view and "part_sha256" not in view


def test_parts_are_presigned_again_on_request(backend):
    ticket = _declare(backend, _multipart([b"x" * MIN_PART_BYTES, b"y" * MIN_PART_BYTES, b"z"]))

    again = refresh_parts("acme", ticket.file_id, PartsRequest(part_numbers=[3, 1, 3]), **_stores(backend))

    assert [p.part_number for p in again.multipart.parts] == [3, 1]
    assert again.multipart.parts[0].headers["Content-Length"] == "1"


def _due_at(backend, file_id: str) -> datetime | None:
    return backend.deps.files.get("acme", file_id).due_at


def test_a_file_declared_again_later_stays_open_until_its_fresh_urls_expire(backend):
    ticket = create_upload(_request(), "acme", rules=Rules(), now=lambda: EARLIER, **_stores(backend))

    create_upload(_request(), "acme", rules=Rules(), now=lambda: LATER, **_stores(backend))

    assert _due_at(backend, ticket.file_id) == upload_deadline(LATER, backend.settings)


def test_parts_presigned_again_later_keep_the_upload_open_until_they_expire(backend):
    parts = [b"x" * MIN_PART_BYTES, b"y"]
    ticket = create_upload(_multipart(parts), "acme", rules=Rules(), now=lambda: EARLIER, **_stores(backend))

    refresh_parts("acme", ticket.file_id, PartsRequest(part_numbers=[2]), now=lambda: LATER, **_stores(backend))

    assert _due_at(backend, ticket.file_id) == upload_deadline(LATER, backend.settings)


def test_parts_beyond_the_upload_are_refused(backend):
    ticket = _declare(backend, _multipart([b"x" * 10]))

    with pytest.raises(InvalidRequest, match=r"parts 1\.\.1"):
        refresh_parts("acme", ticket.file_id, PartsRequest(part_numbers=[2]), **_stores(backend))


def test_parts_of_a_single_put_file_are_a_conflict(backend):
    ticket = _declare(backend, _request())

    with pytest.raises(Conflict):
        refresh_parts("acme", ticket.file_id, PartsRequest(part_numbers=[1]), **_stores(backend))


def _upload_parts(backend, ticket, parts: list[bytes]) -> CompleteRequest:
    s3, record = backend.clients["s3"], backend.deps.files.get("acme", ticket.file_id)
    etags = []
    for number, part in enumerate(parts, 1):
        answer = s3.upload_part(
            Bucket=backend.settings.input_bucket,
            Key=record.object_key,
            UploadId=record.multipart.upload_id,
            PartNumber=number,
            Body=part,
        )
        etags.append(answer["ETag"])
    return CompleteRequest(parts=[{"part_number": n, "etag": e} for n, e in enumerate(etags, 1)])


def test_completing_assembles_the_object_and_completing_again_returns_the_record(backend):
    parts = [b"a,b\n" + b"1,2\n" * (MIN_PART_BYTES // 4 - 1), b"3,4\n"]
    ticket = _declare(backend, _multipart(parts))
    listed = _upload_parts(backend, ticket, parts)

    done = _complete(backend, ticket.file_id, listed)
    again = _complete(backend, ticket.file_id, listed)

    body = backend.clients["s3"].get_object(Bucket=backend.settings.input_bucket, Key=f"uploads/acme/{done.file_id}")
    assert body["Body"].read() == b"".join(parts)
    assert done.state == again.state == FileState.PENDING_UPLOAD
    assert backend.deps.files.get("acme", ticket.file_id).multipart.completed
    assert _declare(backend, _multipart(parts)).duplicate_of == ticket.file_id  # the bytes are in: nothing to send


def test_processing_drops_the_part_checksums(backend):
    parts = [b"a,b\n1,2\n"]
    ticket = _declare(backend, _multipart(parts))
    _complete(backend, ticket.file_id, _upload_parts(backend, ticket, parts))
    assert backend.deps.files.get("acme", ticket.file_id).part_sha256

    ref = S3ObjectRef(bucket=backend.settings.input_bucket, key=f"uploads/acme/{ticket.file_id}")
    state = backend.deps.processor.process(ref)

    assert state == FileState.PROCESSED
    assert backend.deps.files.get("acme", ticket.file_id).part_sha256 is None


def test_completing_without_every_part_listed_is_incomplete(backend):
    ticket = _declare(backend, _multipart([b"x" * MIN_PART_BYTES, b"y"]))

    with pytest.raises(UploadIncomplete, match=r"missing \[2\]"):
        _complete(backend, ticket.file_id, ANY_PART_1)


def test_completing_with_a_part_s3_does_not_have_is_incomplete(backend):
    ticket = _declare(backend, _multipart([b"x" * 10]))
    listed = CompleteRequest(parts=[{"part_number": 1, "etag": '"0123456789abcdef0123456789abcdef"'}])

    with pytest.raises(UploadIncomplete, match="InvalidPart"):
        _complete(backend, ticket.file_id, listed)
    assert backend.deps.files.get("acme", ticket.file_id).state == FileState.PENDING_UPLOAD


def test_completing_a_single_put_file_is_a_conflict(backend):
    ticket = _declare(backend, _request())

    with pytest.raises(Conflict):
        _complete(backend, ticket.file_id, ANY_PART_1)


# -- cancel


def test_cancelling_aborts_the_multipart_upload_and_is_final(backend):
    ticket = _declare(backend, _multipart([b"x" * 10]))

    record = cancel_upload("acme", ticket.file_id, **_stores(backend))

    assert record.state == FileState.CANCELLED and record.finished_at is not None
    assert _s3_uploads(backend) == []
    assert cancel_upload("acme", ticket.file_id, **_stores(backend)).state == FileState.CANCELLED  # harmless again
    with pytest.raises(Conflict):
        refresh_parts("acme", ticket.file_id, PartsRequest(part_numbers=[1]), **_stores(backend))
    with pytest.raises(Conflict):
        _complete(backend, ticket.file_id, ANY_PART_1)


def test_a_file_past_pending_cannot_be_cancelled(backend):
    ticket = _declare(backend, _request())
    backend.deps.processor.process(_put(backend, ticket))

    with pytest.raises(Conflict, match="processed"):
        cancel_upload("acme", ticket.file_id, **_stores(backend))


def test_a_completed_multipart_upload_cannot_be_cancelled(backend):
    parts = [b"a,b\n1,2\n"]
    ticket = _declare(backend, _multipart(parts))
    _complete(backend, ticket.file_id, _upload_parts(backend, ticket, parts))

    with pytest.raises(Conflict):
        cancel_upload("acme", ticket.file_id, **_stores(backend))


def test_another_partners_file_cannot_be_cancelled(backend):
    ticket = _declare(backend, _request(), "globex")

    with pytest.raises(FileNotFound):
        cancel_upload("acme", ticket.file_id, **_stores(backend))
    assert backend.deps.files.get("globex", ticket.file_id).state == FileState.PENDING_UPLOAD


def test_bytes_that_arrive_after_a_cancel_are_not_kept(backend):
    ticket = _declare(backend, _request())
    cancel_upload("acme", ticket.file_id, **_stores(backend))

    ref = _put(backend, ticket)
    assert backend.deps.processor.process(ref) == FileState.CANCELLED

    assert backend.clients["s3"].list_objects_v2(Bucket=ref.bucket, Prefix=ref.key).get("KeyCount", 0) == 0


# -- reading by id


def test_files_by_id_are_only_the_callers_in_the_order_asked(backend):
    mine = [_declare(backend, _request(allow_duplicate=True)).file_id for _ in range(3)]
    theirs = _declare(backend, _request(), "globex").file_id

    unknown = "f_01jdq3w6x1f8m3zq1v6k7c2n4r"
    page = list_files(backend.deps.files, "acme", ListQuery(ids=(mine[2], theirs, mine[0], unknown)))

    assert [f.file_id for f in page.files] == [mine[2], mine[0]] and page.next_cursor is None
