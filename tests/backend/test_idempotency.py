"""``Idempotency-Key`` on declarations, through Powertools against moto's idempotency table."""

from __future__ import annotations

import hashlib
from datetime import timedelta

import pytest

from scalper_backend.api.schemas import UploadRequest
from scalper_backend.deadlines import upload_deadline
from scalper_backend.errors import FileTooLarge, IdempotencyKeyReused, RequestInProgress, UnsupportedContentType
from scalper_backend.local.runtime import LocalContext
from scalper_backend.records import duplicate_key, utcnow
from scalper_backend.uploads import declare_upload
from scalper_inspection import Rules

BODY = b"a,b\n1,2\n"
REQUEST = UploadRequest(
    filename="f.csv", size=len(BODY), content_type="text/csv", sha256=hashlib.sha256(BODY).hexdigest()
)


def _context() -> LocalContext:
    return LocalContext(function_name="presign", memory_limit_in_mb=512, invoked_function_arn="arn", timeout_seconds=30)


def _declare(
    backend, key: str | None, request: UploadRequest = REQUEST, partner: str = "acme", rules: Rules | None = None
):
    deps = backend.deps
    return declare_upload(
        request,
        partner,
        idempotency_key=key,
        idempotency_store=lambda: deps.idempotency,
        context=_context(),
        settings=backend.settings,
        rules=rules or deps.rules.for_partner(partner),
        files=deps.files,
        objects=deps.objects,
    )


def _stored_keys(backend) -> int:
    return backend.clients["dynamodb"].scan(TableName=backend.settings.idempotency_table)["Count"]


def test_the_same_key_and_body_replay_the_first_answer_with_its_upload_target(backend):
    first, replayed_first = _declare(backend, "k-1", REQUEST.model_copy(update={"allow_duplicate": True}))
    again, replayed = _declare(backend, "k-1", REQUEST.model_copy(update={"allow_duplicate": True}))

    assert (replayed_first, replayed) == (False, True)
    assert again.file_id == first.file_id  # allow_duplicate would have made a new file without the key
    assert again.upload is not None and first.upload is not None
    assert again.upload.headers == first.upload.headers


def test_a_replay_later_keeps_the_declaration_open_until_its_fresh_urls_expire(backend, monkeypatch):
    import scalper_backend.uploads as uploads

    first, _ = _declare(backend, "k-1")
    later = utcnow() + timedelta(days=1)
    monkeypatch.setattr(uploads, "utcnow", lambda: later)

    _, replayed = _declare(backend, "k-1")

    assert replayed and backend.deps.files.get("acme", first.file_id).due_at == upload_deadline(later, backend.settings)


def test_the_same_key_with_another_body_is_refused(backend):
    _declare(backend, "k-1")

    with pytest.raises(IdempotencyKeyReused):
        _declare(backend, "k-1", REQUEST.model_copy(update={"filename": "other.csv"}))


def test_keys_are_scoped_to_the_partner(backend):
    acme, _ = _declare(backend, "shared-key", partner="acme")
    globex, replayed = _declare(backend, "shared-key", partner="globex")

    assert not replayed and globex.file_id != acme.file_id
    assert backend.deps.files.get("globex", globex.file_id) is not None


def test_a_key_whose_first_request_is_still_running_is_in_progress(backend, monkeypatch):
    import scalper_backend.uploads as uploads

    real_create, seen = uploads.create_upload, []

    def create_while_a_retry_arrives(*args, **kwargs):
        with pytest.raises(RequestInProgress) as err:
            _declare(backend, "k-1")
        seen.append(err.value.retry_after)
        return real_create(*args, **kwargs)

    monkeypatch.setattr(uploads, "create_upload", create_while_a_retry_arrives)
    _declare(backend, "k-1")

    assert seen == [1]


def test_a_refused_declaration_frees_its_key(backend):
    too_big = REQUEST.model_copy(update={"size": backend.settings.max_upload_bytes + 1})
    with pytest.raises(FileTooLarge):
        _declare(backend, "k-1", too_big)

    assert _stored_keys(backend) == 0
    with pytest.raises(FileTooLarge):  # ran again, not "in progress" or "reused"
        _declare(backend, "k-1", too_big)


def test_a_declaration_the_rules_refuse_frees_its_key_and_records_nothing(backend):
    json_only = Rules(profile="json-only", allowed_types=("application/json",))
    with pytest.raises(UnsupportedContentType, match="not allowed by your rules"):
        _declare(backend, "k-1", rules=json_only)

    assert _stored_keys(backend) == 0
    assert backend.deps.files.name_holder("acme", duplicate_key(REQUEST.sha256, REQUEST.filename)) is None
    ticket, replayed = _declare(backend, "k-1")  # the same key runs once the rules allow it
    assert not replayed and ticket.upload is not None


def test_without_a_key_nothing_is_stored(backend):
    _declare(backend, None)

    assert _stored_keys(backend) == 0


def test_the_stored_answer_holds_ids_only(backend):
    ticket, _ = _declare(backend, "k-1")

    (item,) = backend.clients["dynamodb"].scan(TableName=backend.settings.idempotency_table)["Items"]

    assert ticket.file_id in item["data"]["S"] and "http" not in item["data"]["S"]
    assert "k-1" not in str(item) and "acme" not in item["id"]["S"]  # hashed
