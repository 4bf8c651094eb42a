"""Byte-stream wrappers: one that hashes and counts everything, one that checks text.

The hashing reader sits directly on the uploaded object's body. Bytes are hashed at the
moment they are pulled from the source, so read-ahead buffers higher up the stack (a
a parser's buffers) can never cause a byte to be missed or counted twice,
and `HashingReader.drain` can finish the digest after a parser gave up half way. It also
remembers a failure of the source, so the pipeline can tell an I/O fault (retryable) from
a parser's exception, whatever layers the fault travelled through.
"""

from __future__ import annotations

import codecs
import hashlib
import io
from collections.abc import Iterator
from typing import NoReturn, Protocol

from scalper_inspection.errors import BadTextError, InvalidUtf8Error, NulByteError


class BinarySource(Protocol):
    """Anything with a binary ``read(n)``: a botocore ``StreamingBody``, a file, a BytesIO."""

    def read(self, size: int = ..., /) -> bytes:
        """Return up to `size` bytes; ``b""`` at the end."""
        ...


class HashingReader(io.RawIOBase):
    """Reads a source once, hashing and counting every byte that passes.

    Closing this reader never closes the source: the caller owns the body stream.
    `failure` holds whatever ``source.read`` raised, if it raised (an I/O fault).

    Args:
        source: the uploaded object's body.
        chunk_size: bytes requested from the source per read.
    """

    def __init__(self, source: BinarySource, chunk_size: int) -> None:
        super().__init__()
        self._source = source
        self._chunk_size = chunk_size
        self._digest = hashlib.sha256()
        self._size = 0
        self._eof = False
        self.failure: Exception | None = None
        # Bytes already pulled (and hashed) but not yet handed out: what `peek` looked at.
        self._pending = b""

    @property
    def size(self) -> int:
        """Bytes pulled from the source so far."""
        return self._size

    @property
    def consumed(self) -> int:
        """Bytes handed out to readers so far (the file offset of the next byte)."""
        return self._size - len(self._pending)

    def hexdigest(self) -> str:
        """Lower-case hex SHA-256 of the bytes pulled so far (all of them after `drain`)."""
        return self._digest.hexdigest()

    def readable(self) -> bool:
        """Report that this stream can be read (io protocol)."""
        return True

    def _pull(self, size: int) -> bytes:
        """Read up to `size` bytes from the source and account for them."""
        if self._eof:
            return b""
        try:
            data = self._source.read(size)
        except Exception as err:
            self.failure = err
            raise
        if not data:
            self._eof = True
            return b""
        self._digest.update(data)
        self._size += len(data)
        return data

    def peek(self, size: int) -> bytes:
        """Return the first `size` bytes still to be read, without consuming them.

        Args:
            size: how many bytes to look at; fewer are returned only at the end of the source.

        Returns:
            The upcoming bytes; shorter than `size` exactly when the source is exhausted.
        """
        # Sources may return short reads (network bodies do), so loop until full or EOF.
        parts = [self._pending]
        have = len(self._pending)
        while have < size:
            data = self._pull(max(size - have, self._chunk_size))
            if not data:
                break
            parts.append(data)
            have += len(data)
        self._pending = b"".join(parts)
        return self._pending[:size]

    def readinto(self, buffer: bytearray | memoryview) -> int:  # type: ignore[override]
        """Fill `buffer` with the next bytes, pending ones first.

        Args:
            buffer: a writable buffer.

        Returns:
            The number of bytes written; 0 at the end of the source.
        """
        view = memoryview(buffer).cast("B")
        wanted = len(view)
        if not self._pending:
            self._pending = self._pull(max(wanted, 1))
        data, self._pending = self._pending[:wanted], self._pending[wanted:]
        view[: len(data)] = data
        return len(data)

    def drain(self) -> None:
        """Read and hash whatever is left, so size and checksum cover the whole object."""
        self._pending = b""
        while self._pull(self._chunk_size):
            pass


class CheckedText:
    """Pulls text from a `HashingReader` in chunks, checking it is UTF-8 without NUL bytes.

    Checking here rather than in each parser gives every text format the same answer with
    an exact offset and line, instead of a parser-specific error that might quote the
    bytes. Both checks run at C speed on whole chunks (an incremental decoder and a
    ``find``), so they cost a small fraction of parsing.

    Args:
        source: the reader to pull from, positioned after any BOM.
        chunk_size: bytes pulled per chunk.
    """

    def __init__(self, source: HashingReader, chunk_size: int) -> None:
        self._source = source
        self._chunk_size = chunk_size
        self._offset = source.consumed
        self._newlines = 0
        self._decoder = codecs.getincrementaldecoder("utf-8")("strict")

    @property
    def offset(self) -> int:
        """File offset of the next byte to be pulled."""
        return self._offset

    def _pull(self) -> tuple[bytes, str]:
        """The next checked chunk as bytes and as the text decoded so far; ``b""`` at the end.

        Raises:
            InvalidUtf8Error: the bytes are not UTF-8 (including a sequence cut off at the end).
            NulByteError: the bytes hold a NUL.
        """
        data = self._source.read(self._chunk_size) or b""
        carried = len(self._decoder.getstate()[0])
        try:
            text = self._decoder.decode(data, final=not data)
        except UnicodeDecodeError as err:
            # err.start counts from the bytes carried over from the previous read.
            self._fail(InvalidUtf8Error, data, max(err.start - carried, 0))
        nul = data.find(b"\x00")
        if nul >= 0:
            self._fail(NulByteError, data, nul)
        self._offset += len(data)
        self._newlines += data.count(b"\n")
        return data, text

    def _fail(self, error: type[BadTextError], data: bytes, index: int) -> NoReturn:
        line = self._newlines + data.count(b"\n", 0, index) + 1
        raise error(offset=self._offset + index, line=line) from None

    def byte_chunks(self) -> Iterator[bytes]:
        """Yield the checked bytes, chunk by chunk (every chunk non-empty)."""
        while data := self._pull()[0]:
            yield data

    def chunks(self) -> Iterator[tuple[bytes, str]]:
        """Yield each checked chunk as bytes and as the text decoded so far.

        The text of a chunk may lack the last bytes of a character cut by the chunk's
        end; they start the next chunk's text.
        """
        while True:
            data, text = self._pull()
            if not data:
                if text:
                    yield data, text
                return
            yield data, text
