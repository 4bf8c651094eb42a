"""S3 objects: presigned uploads in (single PUT or multipart), streamed reads, output
writes, quarantine moves.

Multipart uploads are made with ``ChecksumAlgorithm=SHA256``: S3 then requires each
UploadPart to carry ``x-amz-checksum-sha256`` and checks the part's bytes against it, and
CompleteMultipartUpload must list each part's checksum. The object's checksum S3 keeps is
a checksum of the part checksums, not the file's SHA-256, which is why the processor
hashes the whole file again. IAM: ``s3:PutObject`` covers CreateMultipartUpload,
UploadPart and CompleteMultipartUpload; ``s3:AbortMultipartUpload`` is its own action
(https://docs.aws.amazon.com/AmazonS3/latest/userguide/mpuoverview.html#mpuAndPermissions).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import IO, Any

from ..errors import MultipartUploadGone, ObjectMissing, PartsRejected
from .errors import AWS_ERRORS, error_code, store_error
from .streaming import MultipartWriter

# HEAD answers 404/NotFound, GET and COPY answer NoSuchKey.
_MISSING = frozenset({"404", "NoSuchKey", "NotFound"})
# CompleteMultipartUpload's answers when the parts listed are not what was uploaded.
_BAD_PARTS = frozenset({"InvalidPart", "InvalidPartOrder", "EntityTooSmall", "BadDigest", "InvalidDigest"})


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
        params = {"Bucket": bucket, "Key": key, "ContentType": content_type, "ContentLength": size}
        return self._presign("put_object", {**params, "ChecksumSHA256": sha256_b64}, expires_in)

    def start_multipart(self, *, bucket: str, key: str, content_type: str) -> str:
        """Create a multipart upload whose parts carry SHA-256 checksums; returns its id."""
        try:
            response = self._client.create_multipart_upload(
                Bucket=bucket, Key=key, ContentType=content_type, ChecksumAlgorithm="SHA256"
            )
        except AWS_ERRORS as err:
            raise store_error("CreateMultipartUpload", err) from err
        return str(response["UploadId"])

    def presign_part(
        self,
        *,
        bucket: str,
        key: str,
        upload_id: str,
        part_number: int,
        size: int,
        sha256_b64: str,
        expires_in: int,
    ) -> str:
        """A SigV4 presigned UploadPart whose signature covers the part's length and checksum."""
        params = {"Bucket": bucket, "Key": key, "UploadId": upload_id, "PartNumber": part_number}
        return self._presign("upload_part", {**params, "ContentLength": size, "ChecksumSHA256": sha256_b64}, expires_in)

    def _presign(self, operation: str, params: dict[str, Any], expires_in: int) -> str:
        """A presigned PUT URL; botocore signs every header ``params`` turns into."""
        try:
            url = self._client.generate_presigned_url(operation, Params=params, ExpiresIn=expires_in, HttpMethod="PUT")
        except AWS_ERRORS as err:
            raise store_error(f"Presign:{operation}", err) from err
        return str(url)

    def complete_multipart(
        self, *, bucket: str, key: str, upload_id: str, parts: Sequence[tuple[int, str, str]]
    ) -> None:
        """Assemble the object from ``(part_number, etag, sha256_b64)`` parts, in order.

        Raises:
            PartsRejected: a part is missing, too small, or its ETag or checksum differs.
            MultipartUploadGone: the upload was already completed or aborted.
        """
        listed = [{"PartNumber": n, "ETag": etag, "ChecksumSHA256": sha} for n, etag, sha in parts]
        try:
            self._client.complete_multipart_upload(
                Bucket=bucket, Key=key, UploadId=upload_id, MultipartUpload={"Parts": listed}
            )
        except AWS_ERRORS as err:
            code = error_code(err)
            if code in _BAD_PARTS:
                raise PartsRejected(f"CompleteMultipartUpload: {code}") from err
            if code == "NoSuchUpload":
                raise MultipartUploadGone("CompleteMultipartUpload: NoSuchUpload") from err
            raise store_error("CompleteMultipartUpload", err) from err

    def abort_multipart(self, *, bucket: str, key: str, upload_id: str) -> None:
        """Abort a multipart upload and free its parts; one already gone is fine."""
        try:
            self._client.abort_multipart_upload(Bucket=bucket, Key=key, UploadId=upload_id)
        except AWS_ERRORS as err:
            if error_code(err) != "NoSuchUpload":
                raise store_error("AbortMultipartUpload", err) from err

    def open(self, bucket: str, key: str) -> IO[bytes]:
        """A stream of the object's bytes; read it in chunks, it is not buffered whole."""
        try:
            return self._client.get_object(Bucket=bucket, Key=key)["Body"]
        except AWS_ERRORS as err:
            raise store_error("GetObject", err) from err

    def writer(self, *, bucket: str, key: str, content_type: str) -> MultipartWriter:
        """A sink that streams into a new object, one part in memory at a time."""
        return MultipartWriter(self._client, bucket=bucket, key=key, content_type=content_type)

    def exists(self, bucket: str, key: str) -> bool:
        """Whether the object is there (HEAD: 404 is no; s3:ListBucket makes S3 say 404, not 403)."""
        try:
            self._client.head_object(Bucket=bucket, Key=key)
        except AWS_ERRORS as err:
            if error_code(err) in _MISSING:
                return False
            raise store_error("HeadObject", err) from err
        return True

    def copy(
        self, *, source_bucket: str, source_key: str, bucket: str, key: str, metadata: dict[str, str] | None = None
    ) -> None:
        """Server-side copy (multipart for objects over 5 GB); the bytes never pass through us.

        ``metadata`` replaces the object's user metadata (ASCII values; 2 KB in all)."""
        extra = {"Metadata": metadata, "MetadataDirective": "REPLACE"} if metadata else None
        try:
            self._client.copy({"Bucket": source_bucket, "Key": source_key}, bucket, key, ExtraArgs=extra)
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
