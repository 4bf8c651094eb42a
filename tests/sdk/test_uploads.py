"""Uploading: declare the file, PUT exactly the declared bytes, return the record."""

from __future__ import annotations

import base64
import hashlib
import io
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import requests
import responses

from silent_scalper import Client, FileState, UploadError
from silent_scalper._sources import CHUNK_SIZE
from silent_scalper.uploads import guess_content_type

ENDPOINT = "http://scalper.test/v1"
API_KEY = "sk-test-0123456789"
FILE_ID = "f_01jdq3w6x1f8m3zq1v6k7c2n4r"
UPLOAD_URL = f"http://storage.test/scalper-input/uploads/acme/{FILE_ID}?X-Amz-Signature=abc123"
CONTENT = b"id,name\n1,alpha\n2,gamma\n"
PAYLOADS = Path(__file__).parent / "payloads"
Payload = Callable[..., dict[str, Any]]


class Storage:
    """The presigned URL's side: records what each PUT carried."""

    def __init__(self) -> None:
        self.headers: dict[str, str] = {}
        self.body = b""

    def __call__(self, request: requests.PreparedRequest) -> tuple[int, dict[str, str], str]:
        self.headers = dict(request.headers)
        self.body = _read_body(request.body)
        return (200, {}, "")


def _read_body(body: Any) -> bytes:
    if hasattr(body, "read"):
        return b"".join(iter(lambda: body.read(65536), b""))
    return bytes(body or b"")


def _ticket_headers(content: bytes, content_type: str = "text/csv") -> dict[str, str]:
    checksum = base64.b64encode(hashlib.sha256(content).digest()).decode()
    return {"Content-Type": content_type, "Content-Length": str(len(content)), "x-amz-checksum-sha256": checksum}


@pytest.fixture
def storage() -> Storage:
    return Storage()


@pytest.fixture
def pipeline(api: responses.RequestsMock, payload: Payload, storage: Storage) -> responses.RequestsMock:
    """The API and storage answering one upload of CONTENT as text/csv."""
    ticket = payload("upload_ticket")
    ticket["upload"]["headers"] = _ticket_headers(CONTENT)
    api.post(f"{ENDPOINT}/uploads", status=201, json=ticket)
    api.add_callback(responses.PUT, UPLOAD_URL, callback=storage)
    api.get(f"{ENDPOINT}/files/{FILE_ID}", json=payload("file_record_processed", state="processing"))
    return api


def _declaration(api: responses.RequestsMock) -> dict[str, Any]:
    request = api.calls[0].request
    assert request.method == "POST"
    body: dict[str, Any] = json.loads(request.body or b"")
    return body


@pytest.fixture
def csv_file(tmp_path: Path) -> Path:
    path = tmp_path / "scan-report.csv"
    path.write_bytes(CONTENT)
    return path


def test_upload_declares_the_size_sha256_name_and_type_of_the_file(
    client: Client, pipeline: responses.RequestsMock, csv_file: Path
) -> None:
    client.upload(csv_file)

    assert _declaration(pipeline) == {
        "filename": "scan-report.csv",
        "size": len(CONTENT),
        "content_type": "text/csv",
        "sha256": hashlib.sha256(CONTENT).hexdigest(),
    }


def test_upload_puts_the_bytes_with_exactly_the_returned_headers(
    client: Client, pipeline: responses.RequestsMock, csv_file: Path, storage: Storage
) -> None:
    client.upload(csv_file)

    assert storage.body == CONTENT
    for name, value in _ticket_headers(CONTENT).items():
        assert storage.headers[name] == value
    assert "Transfer-Encoding" not in storage.headers


def test_upload_returns_the_record_fetched_after_the_put(
    client: Client, pipeline: responses.RequestsMock, csv_file: Path
) -> None:
    record = client.upload(csv_file)

    assert [call.request.method for call in pipeline.calls] == ["POST", "PUT", "GET"]
    assert (record.file_id, record.state) == (FILE_ID, FileState.PROCESSING)


def test_api_key_goes_to_the_api_but_not_to_the_presigned_url(
    client: Client, pipeline: responses.RequestsMock, csv_file: Path, storage: Storage
) -> None:
    client.upload(csv_file)

    post, _put, get = (call.request for call in pipeline.calls)
    assert post.headers["x-api-key"] == API_KEY
    assert get.headers["x-api-key"] == API_KEY
    assert "x-api-key" not in {name.lower() for name in storage.headers}
    assert API_KEY not in json.dumps(storage.headers)


def test_upload_from_a_non_seekable_stream_is_spooled_and_hashed(
    client: Client, pipeline: responses.RequestsMock, storage: Storage
) -> None:
    stream = _Unseekable(CONTENT)

    client.upload(stream, filename="piped.csv")

    declared = _declaration(pipeline)
    assert (declared["size"], declared["sha256"]) == (len(CONTENT), hashlib.sha256(CONTENT).hexdigest())
    assert storage.body == CONTENT


def test_upload_from_a_file_object_takes_its_name_and_leaves_it_open(
    client: Client, pipeline: responses.RequestsMock, csv_file: Path
) -> None:
    with csv_file.open("rb") as file:
        client.upload(file)

        assert not file.closed
    assert _declaration(pipeline)["filename"] == "scan-report.csv"


def test_explicit_filename_content_type_and_metadata_are_declared(
    client: Client, pipeline: responses.RequestsMock, csv_file: Path
) -> None:
    client.upload(csv_file, filename="renamed.csv", content_type="application/jsonl", metadata={"clinic": "north"})

    declared = _declaration(pipeline)
    assert declared["filename"] == "renamed.csv"
    assert declared["content_type"] == "application/jsonl"
    assert declared["metadata"] == {"clinic": "north"}


def test_file_is_hashed_in_chunks_of_one_mebibyte_never_read_whole(
    client: Client, api: responses.RequestsMock, payload: Payload, storage: Storage
) -> None:
    content = b"x" * (3 * CHUNK_SIZE + 7)
    stream = _RecordingBytesIO(content)
    reads_while_hashing: list[int] = []

    def declare(request: requests.PreparedRequest) -> tuple[int, dict[str, str], str]:
        reads_while_hashing.extend(stream.read_sizes)
        return (201, {}, json.dumps(payload("upload_ticket")))

    api.add_callback(responses.POST, f"{ENDPOINT}/uploads", callback=declare)
    # The mock storage reads the body whole (responses does); a real PUT streams it in blocks.
    api.add_callback(responses.PUT, UPLOAD_URL, callback=storage)
    api.get(f"{ENDPOINT}/files/{FILE_ID}", json=payload("file_record_processed"))

    client.upload(stream, filename="big.csv")

    assert reads_while_hashing == [CHUNK_SIZE] * 3 + [7]  # 3 full chunks, then exactly the 7 bytes left
    assert _declaration(api)["size"] == len(content)
    assert storage.body == content


def test_empty_file_is_sent_with_content_length_zero(
    client: Client, api: responses.RequestsMock, payload: Payload, storage: Storage, tmp_path: Path
) -> None:
    empty = tmp_path / "empty.csv"
    empty.write_bytes(b"")
    ticket = payload("upload_ticket")
    ticket["upload"]["headers"] = _ticket_headers(b"")
    api.post(f"{ENDPOINT}/uploads", status=201, json=ticket)
    api.add_callback(responses.PUT, UPLOAD_URL, callback=storage)
    api.get(f"{ENDPOINT}/files/{FILE_ID}", json=payload("file_record_processed"))

    client.upload(empty)

    assert storage.headers["Content-Length"] == "0"
    assert "Transfer-Encoding" not in storage.headers


def test_refused_put_raises_upload_error_with_s3s_code_and_message(
    client: Client, api: responses.RequestsMock, payload: Payload, csv_file: Path
) -> None:
    api.post(f"{ENDPOINT}/uploads", status=201, json=payload("upload_ticket"))
    xml = (PAYLOADS / "s3_signature_error.xml").read_text()
    api.put(UPLOAD_URL, status=403, body=xml, content_type="application/xml")

    with pytest.raises(UploadError) as caught:
        client.upload(csv_file)

    error = caught.value
    assert (error.status_code, error.code) == (403, "SignatureDoesNotMatch")
    assert error.message.startswith("The request signature we calculated does not match")
    assert error.request_id == "4442587FB7D0A2F9"


def test_refused_put_with_a_body_that_is_not_xml_has_unknown_error_code(
    client: Client, api: responses.RequestsMock, payload: Payload, csv_file: Path
) -> None:
    api.post(f"{ENDPOINT}/uploads", status=201, json=payload("upload_ticket"))
    api.put(UPLOAD_URL, status=502, body="Bad Gateway", content_type="text/plain")

    with pytest.raises(UploadError) as caught:
        client.upload(csv_file)

    assert (caught.value.status_code, caught.value.code) == (502, "unknown_error")


def test_text_mode_file_is_refused_before_any_request(client: Client, csv_file: Path) -> None:
    with csv_file.open("r") as text, pytest.raises(TypeError, match="binary"):
        client.upload(text)


def test_file_object_without_a_name_needs_a_filename(client: Client) -> None:
    with pytest.raises(ValueError, match="filename"):
        client.upload(io.BytesIO(CONTENT))


@pytest.mark.parametrize(
    ("filename", "content_type"),
    [
        ("scan.csv", "text/csv"),
        ("SCAN.CSV", "text/csv"),
        ("batch.json", "application/json"),
        ("batch.jsonl", "application/x-ndjson"),
        ("batch.ndjson", "application/x-ndjson"),
        ("ct-head.dcm", "application/dicom"),
        ("CT-HEAD.DICOM", "application/dicom"),
        ("notes.txt", "text/plain"),
        ("blob.weird-extension", "application/octet-stream"),
        ("no-extension", "application/octet-stream"),
    ],
)
def test_content_type_is_guessed_from_the_filename(filename: str, content_type: str) -> None:
    assert guess_content_type(filename) == content_type


class _Unseekable(io.RawIOBase):
    """A pipe-like stream: readable once, cannot seek, has no name."""

    def __init__(self, data: bytes) -> None:
        self._data = io.BytesIO(data)

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        return self._data.readinto(buffer)


class _RecordingBytesIO(io.BytesIO):
    """Records the size asked of every read, to check the file is never slurped."""

    def __init__(self, data: bytes) -> None:
        super().__init__(data)
        self.read_sizes: list[int] = []

    def read(self, size: int | None = -1) -> bytes:
        self.read_sizes.append(-1 if size is None else size)
        return super().read(size)
