"""S3 objects: presigned uploads in, streamed reads, output writes, quarantine moves."""

from __future__ import annotations

from typing import IO, Any

from ..errors import ObjectMissing
from .errors import AWS_ERRORS, error_code, store_error

# HEAD answers 404/NotFound, GET and COPY answer NoSuchKey.
_MISSING = frozenset({"404", "NoSuchKey", "NotFound"})


class Objects:
    def __init__(self, client: Any) -> None:
        self._client = client

    def presign_put(
        self,
        *,
        bucket: str,
        key: str,
        content_type: str,
        size: int,
        sha256_b64: str,
        expires_in: int,
    ) -> str:
        """A SigV4 presigned PUT whose signature covers content type, length and checksum.

        S3 then refuses a body that differs from what was declared.
        """
        try:
            return str(
                self._client.generate_presigned_url(
                    "put_object",
                    Params={
                        "Bucket": bucket,
                        "Key": key,
                        "ContentType": content_type,
                        "ContentLength": size,
                        "ChecksumSHA256": sha256_b64,
                    },
                    ExpiresIn=expires_in,
                    HttpMethod="PUT",
                )
            )
        except AWS_ERRORS as err:
            raise store_error("PresignPutObject", err) from err

    def open(self, bucket: str, key: str) -> IO[bytes]:
        """A stream of the object's bytes; read it in chunks, it is not buffered whole."""
        try:
            return self._client.get_object(Bucket=bucket, Key=key)["Body"]
        except AWS_ERRORS as err:
            raise store_error("GetObject", err) from err

    def upload(self, fileobj: IO[bytes], *, bucket: str, key: str, content_type: str) -> None:
        """Upload a local file object (multipart when large)."""
        try:
            self._client.upload_fileobj(fileobj, bucket, key, ExtraArgs={"ContentType": content_type})
        except AWS_ERRORS as err:
            raise store_error("UploadObject", err) from err

    def copy(self, *, source_bucket: str, source_key: str, bucket: str, key: str) -> None:
        """Server-side copy (multipart for objects over 5 GB); the bytes never pass through us."""
        try:
            self._client.copy({"Bucket": source_bucket, "Key": source_key}, bucket, key)
        except AWS_ERRORS as err:
            if error_code(err) in _MISSING:
                raise ObjectMissing(f"CopyObject: no object {source_key}") from err
            raise store_error("CopyObject", err) from err

    def delete(self, bucket: str, key: str) -> None:
        """Delete an object; deleting one that is already gone succeeds (S3 semantics)."""
        try:
            self._client.delete_object(Bucket=bucket, Key=key)
        except AWS_ERRORS as err:
            raise store_error("DeleteObject", err) from err
