"""Translate botocore errors into the backend's own."""

from __future__ import annotations

from botocore.exceptions import BotoCoreError, ClientError

from ..errors import StoreError

AWS_ERRORS = (ClientError, BotoCoreError)


def error_code(err: Exception) -> str:
    """The AWS error code of a ``ClientError`` (empty for anything else)."""
    if isinstance(err, ClientError):
        return str(err.response.get("Error", {}).get("Code", ""))
    return ""


def store_error(operation: str, err: Exception) -> StoreError:
    """A ``StoreError`` naming the operation and the AWS error code, never the payload."""
    code = error_code(err) or type(err).__name__
    return StoreError(f"{operation} failed: {code}")
