"""Running `inspect_stream` on in-memory bytes, and reading its verdict."""

from __future__ import annotations

import hashlib
import io

from scalper_inspection import ContentType, Declared, Inspection, Limits, ReasonCode, Rules, inspect_stream


def declared_for(data: bytes, content_type: ContentType) -> Declared:
    """Declare `data` truthfully: its real size and SHA-256."""
    return Declared(size=len(data), sha256=hashlib.sha256(data).hexdigest(), content_type=content_type)


def inspect_bytes(
    data: bytes,
    content_type: ContentType,
    *,
    declared: Declared | None = None,
    limits: Limits | None = None,
    rules: Rules | None = None,
) -> tuple[Inspection, bytes]:
    """Inspect in-memory bytes (declared truthfully unless told otherwise); the result and the output."""
    sink = io.BytesIO()
    result = inspect_stream(io.BytesIO(data), declared or declared_for(data, content_type), sink, limits, rules)
    return result, sink.getvalue()


def codes(result: Inspection) -> list[str]:
    """The reason codes of a result, in order."""
    return [reason.code for reason in result.reasons]


def message(result: Inspection, code: ReasonCode) -> str:
    """The message of the one reason with `code`."""
    found: list[str] = [reason.message for reason in result.reasons if reason.code == code]
    assert len(found) == 1, codes(result)
    return found[0]
