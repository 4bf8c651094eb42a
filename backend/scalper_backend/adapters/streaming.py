"""Writing an object to S3 as it is produced, holding one part in memory at a time.

The processor's output (JSON Lines) is written while the input is read, so neither a
whole file nor a spool on /tmp is ever needed: bytes gather in a part buffer, each full
part is sent with UploadPart, and the end completes the multipart upload. An output that
never fills a first part is sent with one PutObject instead. Anything that ends the
writing without ``complete`` (a quarantine verdict, a fault) must ``abort``, which frees
the parts (S3 bills stored parts until then; each bucket's lifecycle rule also aborts
forgotten uploads after a day).

Part sizes: S3 wants 5 MiB to 5 GiB per part (but the last) and at most 10,000 parts
(https://docs.aws.amazon.com/AmazonS3/latest/userguide/qfacts.html). Parts start at
8 MiB and double every 1,000 parts up to 128 MiB, so small outputs cost little memory and
a 10,000-part upload still holds about 880 GiB.
"""

from __future__ import annotations

import contextlib
from typing import Any

from ..errors import StoreError
from .errors import AWS_ERRORS, store_error

FIRST_PART_BYTES = 8 * 1024 * 1024
MAX_PART_BYTES = 128 * 1024 * 1024
PARTS_PER_SIZE = 1000
MAX_PARTS = 10_000


def part_size(part_number: int) -> int:
    """The size of a part (numbered from 1): 8 MiB, doubling every 1,000 parts, at most 128 MiB."""
    return min(FIRST_PART_BYTES << ((part_number - 1) // PARTS_PER_SIZE), MAX_PART_BYTES)


class MultipartWriter:
    """A binary sink (``write``) that streams into one S3 object.

    Args:
        client: a boto3 S3 client.
        bucket, key, content_type: the object to write.
    """

    def __init__(self, client: Any, *, bucket: str, key: str, content_type: str) -> None:
        self._client = client
        self._bucket = bucket
        self._key = key
        self._content_type = content_type
        self._buffer = bytearray()
        self._upload_id: str | None = None
        self._parts: list[dict[str, Any]] = []
        self.size = 0

    @property
    def part_count(self) -> int:
        """Parts sent so far (0 while everything still fits the first part)."""
        return len(self._parts)

    def write(self, data: bytes) -> int:
        self._buffer += data
        self.size += len(data)
        while len(self._buffer) >= part_size(len(self._parts) + 1):
            self._send_part(part_size(len(self._parts) + 1))
        return len(data)

    def complete(self) -> None:
        """Send what is left and make the object; a small output is one PutObject."""
        if self._upload_id is None:
            try:
                self._client.put_object(
                    Bucket=self._bucket, Key=self._key, Body=bytes(self._buffer), ContentType=self._content_type
                )
            except AWS_ERRORS as err:
                raise store_error("PutObject", err) from err
            self._buffer.clear()
            return
        if self._buffer:
            self._send_part(len(self._buffer))
        try:
            self._client.complete_multipart_upload(
                Bucket=self._bucket, Key=self._key, UploadId=self._upload_id, MultipartUpload={"Parts": self._parts}
            )
        except AWS_ERRORS as err:
            raise store_error("CompleteMultipartUpload", err) from err
        self._upload_id = None

    def abort(self) -> None:
        """Drop what was sent (nothing to do before the first part); never raises, since it
        runs while another error is already on its way up."""
        self._buffer.clear()
        if self._upload_id is None:
            return
        # If S3 refuses, the bucket's lifecycle rule aborts the upload after a day.
        with contextlib.suppress(*AWS_ERRORS):
            self._client.abort_multipart_upload(Bucket=self._bucket, Key=self._key, UploadId=self._upload_id)
        self._upload_id = None

    def _send_part(self, size: int) -> None:
        if len(self._parts) >= MAX_PARTS:
            raise StoreError(f"UploadPart failed: the output needs more than {MAX_PARTS} parts")
        try:
            if self._upload_id is None:
                started = self._client.create_multipart_upload(
                    Bucket=self._bucket, Key=self._key, ContentType=self._content_type
                )
                self._upload_id = str(started["UploadId"])
            number = len(self._parts) + 1
            with memoryview(self._buffer) as view:
                body = bytes(view[:size])  # one copy of the part, not two
            del self._buffer[:size]
            sent = self._client.upload_part(
                Bucket=self._bucket, Key=self._key, UploadId=self._upload_id, PartNumber=number, Body=body
            )
        except AWS_ERRORS as err:
            raise store_error("UploadPart", err) from err
        self._parts.append({"PartNumber": number, "ETag": sent["ETag"]})
