"""Log fields for an exception, safe for logs that must never carry file contents."""

from __future__ import annotations

import traceback

from .errors import ScalperError


def exception_fields(err: BaseException, *, message_is_ours: bool = False) -> dict[str, str | None]:
    """The exception's type and stack, and its message only when we wrote it.

    A library's message can quote the data it choked on (a decode error quotes the bad
    characters), so it is left out unless ``message_is_ours``.
    """
    return {
        "error_type": type(err).__name__,
        "error": str(err) if message_is_ours else None,
        "stack": "".join(traceback.format_tb(err.__traceback__)),
    }


def safe_description(err: BaseException | None) -> str:
    """``Type: message`` for our own errors, only ``Type`` for a library's."""
    if isinstance(err, ScalperError):
        return f"{type(err).__name__}: {err}"
    return type(err).__name__
