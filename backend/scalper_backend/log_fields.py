"""Log fields for an exception, safe for logs that must never carry file contents.

The one implementation of ``exception_fields`` lives with the inspection package, which
logs parser failures too; backend modules import it from here.
"""

from __future__ import annotations

from scalper_inspection.errors import exception_fields

from .errors import ScalperError

__all__ = ["exception_fields", "safe_description"]


def safe_description(err: BaseException | None) -> str:
    """``Type: message`` for our own errors, only ``Type`` for a library's."""
    if isinstance(err, ScalperError):
        return f"{type(err).__name__}: {err}"
    return type(err).__name__
