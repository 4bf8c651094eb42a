"""Distinctive strings to put in a file's name, metadata and content, then look for in
logs and alerts: finding one there means data leaked."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Canaries:
    tag: str  # tells one test's canaries from another's

    @property
    def filename(self) -> str:
        return f"cnry-{self.tag}-filename.csv"

    @property
    def metadata(self) -> str:
        return f"cnry-{self.tag}-metadata"

    @property
    def content(self) -> str:
        return f"cnry-{self.tag}-content"

    @property
    def valid_csv(self) -> bytes:
        return f"name,note\nAda,{self.content}\n".encode()

    @property
    def ragged_csv(self) -> bytes:
        """Quarantined for ``csv_ragged_rows``."""
        return f"name,note\nAda,{self.content}\nGrace\n".encode()

    def found_in(self, text: str) -> list[str]:
        """The canaries that ``text`` holds (the file name without its extension)."""
        return [c for c in (self.filename.removesuffix(".csv"), self.metadata, self.content) if c in text]
