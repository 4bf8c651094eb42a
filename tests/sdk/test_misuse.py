"""Every mistake a caller can make is a ScalperError that says what to fix, before any request."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from sdk.fake_api import FakeApi

from silent_scalper import (
    APIConnectionError,
    APIError,
    APIStatusError,
    Client,
    FileReadError,
    InvalidArgumentError,
    ScalperError,
    UploadError,
)

ENDPOINT = "http://scalper.test/v1"


@pytest.fixture
def client() -> Client:
    return Client(ENDPOINT, "key")


def test_bytes_are_uploaded_under_the_given_filename(client: Client, fake_api: FakeApi) -> None:
    record = client.upload(b"a,b\n1,2\n", filename="inline.csv")

    assert fake_api.stored["f_inline"] == b"a,b\n1,2\n"
    assert record.file_id == "f_inline"


def test_bytes_without_a_filename_say_to_pass_one(client: Client) -> None:
    with pytest.raises(InvalidArgumentError, match=r"filename is required .* pass filename=") as caught:
        client.upload(b"a,b\n1,2\n")

    assert isinstance(caught.value, ValueError)  # what the SDK raised before, still caught


def test_metadata_that_is_not_strings_names_the_key_and_the_fix(client: Client, fake_api: FakeApi) -> None:
    with pytest.raises(InvalidArgumentError) as caught:
        client.upload(b"a\n1\n", filename="a.csv", metadata={"n": 1})  # type: ignore[dict-item]

    assert "metadata['n']" in caught.value.message
    assert "str(value)" in caught.value.message
    assert len(fake_api.mock.calls) == 0


def test_get_of_none_says_what_a_file_id_is(client: Client) -> None:
    with pytest.raises(InvalidArgumentError, match="file_id must be a non-empty string"):
        client.get(None)  # type: ignore[arg-type]


def test_wait_of_an_empty_id_is_refused(client: Client) -> None:
    with pytest.raises(InvalidArgumentError):
        client.wait("")


def test_reprocess_of_an_empty_id_is_refused_before_any_request(client: Client, fake_api: FakeApi) -> None:
    with pytest.raises(InvalidArgumentError, match="file_id must be a non-empty string"):
        client.files.reprocess("")

    assert len(fake_api.mock.calls) == 0


def test_something_that_is_not_a_file_is_refused(client: Client) -> None:
    with pytest.raises(InvalidArgumentError, match="cannot upload a int"):
        client.upload(123)  # type: ignore[arg-type]


def test_a_text_mode_file_says_to_open_it_in_binary_mode(client: Client, tmp_path: Path) -> None:
    path = tmp_path / "a.csv"
    path.write_text("a\n1\n")

    with path.open() as text, pytest.raises(InvalidArgumentError, match="binary mode") as caught:
        client.upload(text)

    assert isinstance(caught.value, TypeError)


def test_a_missing_file_is_a_file_read_error_and_an_os_error(client: Client, tmp_path: Path) -> None:
    with pytest.raises(FileReadError) as caught:
        client.upload(tmp_path / "nope.csv")

    assert isinstance(caught.value, OSError) and isinstance(caught.value, ScalperError)
    assert caught.value.message.endswith("No such file or directory")


def test_a_non_seekable_stream_is_spooled(client: Client, fake_api: FakeApi) -> None:
    class Pipe(io.RawIOBase):
        def __init__(self) -> None:
            self._data = io.BytesIO(b"id\n9\n")

        def readable(self) -> bool:
            return True

        def readinto(self, buffer: memoryview) -> int:  # type: ignore[override]
            return self._data.readinto(buffer)

    client.upload(Pipe(), filename="pipe.csv")

    assert fake_api.stored["f_pipe"] == b"id\n9\n"


def test_every_error_from_the_api_or_storage_is_an_api_error_with_status_and_request_id() -> None:
    for error_class in (APIStatusError, UploadError, APIConnectionError):
        assert issubclass(error_class, APIError)
    error = APIConnectionError("down")
    assert (error.status_code, error.request_id) == (None, None)
