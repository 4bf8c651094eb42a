"""What a format validator is: the interface each format package implements.

A format package (``csv``, ``json``, ``dicom``) defines one `Validator` named
``VALIDATOR``; `registry` lists them. Kept apart from the registry so that a format
package can be imported on its own without importing the others.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from scalper_inspection._output import OutputWriter
from scalper_inspection._reader import CheckedText, HashingReader
from scalper_inspection.limits import Limits
from scalper_inspection.rules import Rules
from scalper_inspection.types import Declared, Findings


@dataclass(frozen=True, slots=True)
class Inputs:
    """What a validator gets: the stream, what was sniffed, and where to write.

    Attributes:
        reader: the hashing reader, positioned after any UTF-8 BOM.
        head: the first bytes still to be read (the sniffed window, without the BOM).
        complete: True when `head` is the whole content.
        declared: what the partner declared.
        output: where records (or passed-through bytes) go.
        limits: read and record bounds.
        rules: the partner's rules.
    """

    reader: HashingReader
    head: bytes
    complete: bool
    declared: Declared
    output: OutputWriter
    limits: Limits
    rules: Rules

    def text(self) -> CheckedText:
        """The rest of the file as checked text (UTF-8, no NUL bytes)."""
        return CheckedText(self.reader, self.limits.chunk_size)


@dataclass(frozen=True, slots=True)
class Validator:
    """One format's rules.

    Attributes:
        name: the detected type it validates (``csv``, ``json``, ``dicom``).
        description: how to name the format in a message (``"CSV text"``).
        content_types: the declared types it validates.
        extensions: file name endings that suggest it, each with its content type.
        text: True for text formats, which share the encoding and BOM checks and the
            first-line test against the other text formats.
        output_format: what it writes (``jsonl``, or ``dicom`` for the bytes as sent).
        validate: the rules themselves.
        claims: for text formats, whether a first line can only be this format.
    """

    name: str
    description: str
    content_types: frozenset[str]
    extensions: tuple[tuple[str, str], ...]
    text: bool
    output_format: str
    validate: Callable[[Inputs], Findings]
    claims: Callable[[str], bool] | None = None
