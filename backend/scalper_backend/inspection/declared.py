"""What the partner declared about a file when asking for an upload URL."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from scalper_backend.models import ContentType

# Declared content type -> the parser family that inspects it. Every JSON type accepts
# every JSON shape (object, array of objects, JSON Lines): partners mislabel JSON Lines
# as application/json often enough that refusing it would only create support tickets.
_FAMILY: dict[str, Literal["csv", "json"]] = {
    "text/csv": "csv",
    "application/json": "json",
    "application/x-ndjson": "json",
    "application/jsonl": "json",
}

# Declared JSON Lines: content that does not start with an object or array is judged
# line by line rather than as one document (see `json_rules`).
_JSON_LINES = frozenset({"application/x-ndjson", "application/jsonl"})


class Declared(BaseModel):
    """The declared size, SHA-256 and content type the stored bytes are checked against.

    Attributes:
        size: bytes, at least 0.
        sha256: 64 hex digits; upper case is accepted and normalised to lower case.
        content_type: one of the four types the pipeline validates, without parameters.
    """

    model_config = ConfigDict(frozen=True)

    size: int = Field(ge=0)
    sha256: str = Field(pattern=r"^[0-9a-fA-F]{64}$")
    content_type: ContentType

    @field_validator("sha256")
    @classmethod
    def _lower_hex(cls, value: str) -> str:
        """Normalise the digest so it compares equal to `hashlib`'s lower-case hex."""
        return value.lower()

    @property
    def declares_json_lines(self) -> bool:
        """True for ``application/x-ndjson`` and ``application/jsonl``."""
        return self.content_type in _JSON_LINES

    @property
    def family(self) -> Literal["csv", "json"]:
        """Which parser inspects this content type: ``"csv"`` or ``"json"``."""
        return _FAMILY[self.content_type]
