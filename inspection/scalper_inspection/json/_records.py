"""Parsing one JSON record exactly, at orjson's speed.

Every record (a JSON Lines line, an array item, a single document) is parsed by orjson
first: a C parser several times faster than the standard library's, strict where JSON is
strict (no NaN, no trailing commas, no lone surrogate escapes). Where orjson is lenient or
lossy, cheap C-level filters decide whether the record needs a second, exact look with
the standard library and our hooks (`_exactly`):

* duplicate keys (orjson keeps the last value): a record's text has at most as many keys
  as matches of ``"\\s*:`` (every key's closing quote is followed by its colon; other
  matches only add). When that count equals the keys orjson built, no key was repeated.
* numbers a double cannot hold exactly: any decimal with at most 15 significant digits
  survives the trip through a double (DBL_DIG), so only a number token with 16 or more
  digit characters, or an exponent of three digits, is looked at again; it is refused
  (``json_number_unrepresentable``) when the double would not print as the same value,
  or an integer does not fit in 64 bits, instead of being silently rounded.
* nesting deeper than `Limits.max_depth`: only a record with more brackets than the
  limit is walked.

A record orjson refuses is diagnosed by the standard library too, whose messages are
static text with a line and column, never a quote of the input.
"""

from __future__ import annotations

import json
import math
import re
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import orjson

from scalper_inspection.json._escapes import find_lone_surrogate

_KEY_END = re.compile(rb'"\s+:')
# Number characters are mapped to classes (D digit or dot, E exponent, S sign, space for
# anything else), so that finding a run of 16 digit characters or a three-digit exponent
# is a few substring searches in C: a regular expression would try every position.
_CLASSES = bytearray(b" " * 256)
for _char in b"0123456789.":
    _CLASSES[_char] = ord("D")
_CLASSES[ord("e")] = _CLASSES[ord("E")] = ord("E")
_CLASSES[ord("+")] = _CLASSES[ord("-")] = ord("S")
_NUMBER_CLASSES = bytes(_CLASSES)
_LONG_RUN, _EXPONENT, _SIGNED_EXPONENT = b"D" * 16, b"DEDDD", b"DESDDD"
# Integers orjson writes exactly.
_MIN_INT, _MAX_INT = -(2**63), 2**64 - 1
# Below this many characters a number literal cannot carry 16 significant digits.
_SHORT_NUMBER = 16


@dataclass(frozen=True, slots=True)
class Problem:
    """Why a record was refused, located inside the record's own text.

    Attributes:
        kind: ``malformed``, ``surrogate``, ``duplicate``, ``deep`` or ``number``.
        detail: a static description, the lone surrogate escape, or the repeated key.
        line: 1-based line inside the record's text.
        column: 1-based character column inside that line, when known.
    """

    kind: str
    detail: str
    line: int = 1
    column: int | None = None


class _DuplicateKey(ValueError):
    def __init__(self, key: str) -> None:
        super().__init__("duplicate key")
        self.key = key


class _Unrepresentable(ValueError):
    """A number the output could not carry exactly."""


@dataclass(frozen=True, slots=True)
class Suspicion:
    """What a stretch of text (a chunk, a batch of records) might hold.

    Computed once for many records: when a whole chunk has no suspect number and no
    key followed by whitespace, no record in it needs those two looks.

    Attributes:
        numbers: a number token a double might not carry exactly.
        spaced_keys: a key whose colon follows after whitespace (``"a" : 1``).
    """

    numbers: bool = True
    spaced_keys: bool = True

    @classmethod
    def of(cls, text: bytes) -> Suspicion:
        """Look at a stretch of text once."""
        return cls(suspect_number(text), _KEY_END.search(text) is not None)


ANYTHING = Suspicion()


def parse_record(raw: bytes, max_depth: int, suspicion: Suspicion = ANYTHING) -> Any:
    """Parse one record's text, exactly.

    Args:
        raw: the record's UTF-8 text (already checked to be UTF-8 without NUL).
        max_depth: the most arrays and objects that may enclose one another here.
        suspicion: what the text around the record might hold (when known, fewer looks).

    Returns:
        The value, or a `Problem` (returned, not raised: a bad record is data).
    """
    try:
        value = orjson.loads(raw)
    except orjson.JSONDecodeError:
        return _diagnose(raw, max_depth)
    return check_parsed(raw, value, max_depth, suspicion)


def check_parsed(raw: bytes, value: Any, max_depth: int, suspicion: Suspicion = ANYTHING) -> Any:
    """Finish the checks of a record orjson parsed: the value, or a `Problem`."""
    if (suspicion.numbers and suspect_number(raw)) or not _keys_unique(raw, value, suspicion.spaced_keys):
        return _exactly(raw, max_depth)
    if raw.count(b"[") + raw.count(b"{") > max_depth and nesting_exceeds(value, max_depth):
        return Problem("deep", "nested too deep")
    return value


def suspect_number(raw: bytes) -> bool:
    """True when the text might hold a number a double cannot carry exactly."""
    classes = raw.translate(_NUMBER_CLASSES)
    return _LONG_RUN in classes or _EXPONENT in classes or _SIGNED_EXPONENT in classes


def _keys_unique(raw: bytes, value: Any, spaced_keys: bool = True) -> bool:
    """Prove cheaply that no object in the record repeats a key (False: not proven)."""
    if not isinstance(value, dict | list):
        return True
    matches = raw.count(b'":')
    if spaced_keys:
        matches += len(_KEY_END.findall(raw))
    if isinstance(value, dict) and matches == len(value):
        return True
    return matches == _count_keys(value)


def _count_keys(value: Any) -> int:
    """Keys of every object in a parsed value (iterative: deep values cannot exhaust the stack)."""
    total = 0
    pending = [value]
    while pending:
        current = pending.pop()
        if isinstance(current, dict):
            total += len(current)
            pending.extend(child for child in current.values() if isinstance(child, dict | list))
        else:
            pending.extend(child for child in current if isinstance(child, dict | list))
    return total


def nesting_exceeds(value: Any, max_depth: int) -> bool:
    """Tell whether a parsed value nests arrays and objects deeper than a limit.

    Iterative, so a value nested as deep as the parser allowed cannot exhaust the stack.
    """
    pending: list[tuple[Any, int]] = [(value, 1)] if isinstance(value, dict | list) else []
    while pending:
        current, depth = pending.pop()
        if depth > max_depth:
            return True
        children = current.values() if isinstance(current, dict) else current
        pending.extend((child, depth + 1) for child in children if isinstance(child, dict | list))
    return False


def batch_is_plain(raw: bytes, items: list[Any]) -> bool:
    """Tell whether records parsed together need no look one by one.

    True when every item is an object holding no object or array (so depth is 2 with
    the enclosing array), no number is suspect, and the text holds no more keys than the
    objects do (so none is repeated): all proven with counts over the whole text.
    """
    if raw.count(b"{") != len(items) or b"[" in raw or suspect_number(raw):
        return False
    if not all(type(item) is dict for item in items):
        return False
    keys = raw.count(b'":') + len(_KEY_END.findall(raw))
    return keys == sum(map(len, items))


def _diagnose(raw: bytes, max_depth: int) -> Problem:
    """Say why orjson refused a record, with the standard library's static messages."""
    lone = find_lone_surrogate(raw)
    if lone is not None:
        index = raw.lower().find(lone.encode("ascii"))
        return Problem("surrogate", lone, raw.count(b"\n", 0, max(index, 0)) + 1)
    result = _exactly(raw, max_depth)
    if isinstance(result, Problem):
        return result
    # The standard library accepts what orjson refused: a JSON extension of one of them.
    return Problem("malformed", "unexpected content")


def _exactly(raw: bytes, max_depth: int) -> Any:
    """Parse with the standard library and our hooks: the exact, slower path."""
    try:
        value = json.loads(
            raw,
            object_pairs_hook=_unique_keys,
            parse_float=_exact_float,
            parse_int=_exact_int,
            parse_constant=_reject_constant,
        )
    except json.JSONDecodeError as err:
        return Problem("malformed", err.msg, err.lineno, err.colno)
    except _DuplicateKey as err:
        return Problem("duplicate", err.key, _second_key_line(raw, err.key))
    except _Unrepresentable:
        return Problem("number", "unrepresentable")
    except RecursionError:
        return Problem("deep", "nested too deep")
    except ValueError:  # NaN, Infinity and -Infinity
        return Problem("malformed", "NaN and Infinity are not JSON values")
    if raw.count(b"[") + raw.count(b"{") > max_depth and nesting_exceeds(value, max_depth):
        return Problem("deep", "nested too deep")
    return value


def _second_key_line(raw: bytes, key: str) -> int:
    """The line of a key's second occurrence, as written in the most common spelling."""
    spelled = re.compile(re.escape(json.dumps(key).encode("utf-8")) + rb"\s*:")
    matches = spelled.finditer(raw)
    second = next(matches, None) and next(matches, None)
    return raw.count(b"\n", 0, second.start()) + 1 if second is not None else 1


def _unique_keys(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    """Build an object, refusing a key that appears twice (`dict` would keep the last)."""
    record = dict(pairs)
    if len(record) < len(pairs):
        seen: set[str] = set()
        for key, _ in pairs:
            if key in seen:
                raise _DuplicateKey(key)
            seen.add(key)
    return record


def _exact_float(text: str) -> float:
    """A float, refusing one that a double would round, overflow or flush to zero."""
    value = float(text)
    if math.isinf(value):
        raise _Unrepresentable
    if (len(text) >= _SHORT_NUMBER or "e" in text.lower()) and Decimal(repr(value)) != Decimal(text):
        raise _Unrepresentable
    return value


def _exact_int(text: str) -> int:
    """An integer, refusing one the output cannot carry (beyond 64 bits)."""
    # 20 digits and a sign hold every 64-bit integer; int() of a longer text may even
    # refuse it (Python's 4,300-digit limit), which is the same verdict.
    if len(text) > 21:
        raise _Unrepresentable
    value = int(text)
    if not _MIN_INT <= value <= _MAX_INT:
        raise _Unrepresentable
    return value


def _reject_constant(name: str) -> Any:
    """Refuse ``NaN``, ``Infinity`` and ``-Infinity``, which `json` accepts but JSON does not."""
    raise ValueError(f"{name} is not a JSON value")
