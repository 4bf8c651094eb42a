r"""Finding escaped lone surrogates (``\ud800``) in JSON text, to name them in a message.

JSON spells a character outside the Basic Multilingual Plane as a pair of escapes, a high
surrogate then a low one (``\ud83d\ude00``). Half a pair is no character at all: orjson
refuses the record, while Python's `json` would return a string that cannot be encoded as
UTF-8. So a record orjson refused is looked at here first (see `_records._diagnose`), to
say which escape, on which line, made it invalid.

A backslash starts an escape when an even number of backslashes precede it (``\\ud800``
is a literal backslash and the text ``ud800``); the pattern's look-behind and its pairs of
backslashes say exactly that. Streamed text arrives in pieces that may cut an escape (or
a pair) in two, so `SurrogateScanner` carries a piece's unfinished tail, at most a dozen
bytes, into the next piece.
"""

from __future__ import annotations

import re

_HEX = rb"[0-9a-fA-F]"
# A surrogate escape at the start of a backslash run of odd length: either a proper pair
# (skipped), or a lone half, captured as "lone".
_SURROGATE = re.compile(
    rb"(?<!\\)(?:\\\\)*\\u(?:[dD][89abAB]"
    + _HEX * 2
    + rb"\\u[dD][c-fC-F]"
    + _HEX * 2
    + rb"|(?P<lone>[dD][89a-fA-F]"
    + _HEX * 2
    + rb"))"
)
# What may still follow a high surrogate at the end of a piece and become its low half.
_LOW_SURROGATE_START = re.compile(rb"(?:\\(?:u(?:[dD](?:[c-fC-F]" + _HEX + rb"?)?)?)?)?")
# What may follow an escaping backslash at the end of a piece and become a surrogate.
_SURROGATE_START = re.compile(rb"(?:u(?:[dD](?:[89a-fA-F]" + _HEX + rb"?)?)?)?")
_ESCAPE_LENGTH = 6  # \uXXXX


class SurrogateScanner:
    """Checks JSON text, fed in consecutive pieces, for escaped lone surrogates.

    Costs one C-level regex pass per piece (none for pieces without a backslash), and
    holds no more than one escape pair across pieces.
    """

    def __init__(self) -> None:
        self._carry = b""

    def feed(self, piece: bytes, final: bool = False) -> str | None:
        """Scan the next piece of text.

        Args:
            piece: the bytes following the previous piece.
            final: True when no more text follows (an unfinished pair is then lone).

        Returns:
            The first lone surrogate escape found, lower-cased (e.g. ``"\\ud800"``), or
            None when there is none so far.
        """
        data = self._carry + piece if self._carry else piece
        self._carry = b""
        if b"\\" not in data:
            return None
        for match in _SURROGATE.finditer(data):
            lone = match.group("lone")
            if lone is None:
                continue
            rest = data[match.end() :]
            if not final and lone[1:2] in b"89abAB" and _LOW_SURROGATE_START.fullmatch(rest):
                # A high half at the very end: its low half may start the next piece.
                self._carry = data[match.end() - _ESCAPE_LENGTH :]
                return None
            return "\\u" + lone.decode("ascii").lower()
        if not final:
            self._carry = _unfinished_escape(data)
        return None


def find_lone_surrogate(text: bytes) -> str | None:
    """Find the first escaped lone surrogate in a complete piece of JSON text.

    Args:
        text: JSON text, e.g. one JSON Lines line.

    Returns:
        The escape, lower-cased (e.g. ``"\\ud800"``), or None.
    """
    return SurrogateScanner().feed(text, final=True)


def _unfinished_escape(data: bytes) -> bytes:
    """Return the end of `data` if it is the start of a surrogate escape, else ``b""``."""
    last = data.rfind(b"\\")
    if last < len(data) - _ESCAPE_LENGTH:
        return b""
    rest = data[last + 1 :]
    if not _SURROGATE_START.fullmatch(rest):
        return b""
    run = last + 1 - len(data[: last + 1].rstrip(b"\\"))
    # Only the parity of the backslash run matters: pairs are complete escapes.
    return b"\\" + rest if run % 2 else b""
