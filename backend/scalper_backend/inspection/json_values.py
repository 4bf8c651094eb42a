"""Building records from ijson's basic events, bounded in depth and refusing duplicate keys.

``ijson.items`` and ``ijson.parse`` build a dotted path string for every event, so each
event costs time and memory in proportion to its depth: a 100 KB file of nested brackets
took seconds and gigabytes. ``ijson.basic_parse`` yields bare events, and the few lines
here do the rest: count the depth, stop as soon as it passes `Limits.max_depth`, and
assemble each value with plain dicts and lists (as ``ijson.common.ObjectBuilder`` would,
plus the duplicate-key check it lacks: a dict would silently keep only the last value).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import Any

from scalper_backend.inspection.stops import DuplicateKeyError, NestingTooDeepError

_OPENERS = frozenset({"start_map", "start_array"})
_CLOSERS = frozenset({"end_map", "end_array"})


def values_at(events: Iterable[tuple[str, Any]], level: int, max_depth: int) -> Iterator[Any]:
    """Yield every complete value that starts at a nesting level, as Python objects.

    Args:
        events: ``(event, value)`` pairs from ``ijson.basic_parse``.
        level: 0 for the top-level value itself, 1 for the items of a top-level array.
        max_depth: the most arrays and objects that may enclose one another (the
            top-level array counts as one).

    Yields:
        Each value at `level`: a dict, list, string, number, bool or None.

    Raises:
        NestingTooDeepError: containers nest deeper than `max_depth`.
        DuplicateKeyError: an object holds a key twice.
    """
    depth = 0
    # The containers being filled, outermost first; empty between values at `level`.
    open_containers: list[Any] = []
    key = ""
    for event, value in events:
        if event == "map_key":
            if value in open_containers[-1]:
                raise DuplicateKeyError(value)
            key = value
            continue
        if event in _CLOSERS:
            depth -= 1
            if depth < level:
                continue  # the enclosing top-level array ends
            finished = open_containers.pop()
            if not open_containers:
                yield finished
            continue
        if event in _OPENERS:
            depth += 1
            if depth > max_depth:
                raise NestingTooDeepError(max_depth)
            if depth <= level:
                continue  # the enclosing top-level array starts
            value = {} if event == "start_map" else []
        if open_containers:
            parent = open_containers[-1]
            if isinstance(parent, list):
                parent.append(value)
            else:
                parent[key] = value
        elif event not in _OPENERS:
            yield value  # a scalar at `level`
        if event in _OPENERS:
            open_containers.append(value)


def nesting_exceeds(value: Any, max_depth: int) -> bool:
    """Tell whether a parsed value nests arrays and objects deeper than a limit.

    Iterative, so a value nested as deep as the parser allowed cannot exhaust the stack.

    Args:
        value: a value from `json.loads`.
        max_depth: the most arrays and objects that may enclose one another.

    Returns:
        True when some container sits deeper than `max_depth`.
    """
    pending: list[tuple[Any, int]] = [(value, 1)] if isinstance(value, dict | list) else []
    while pending:
        current, depth = pending.pop()
        children = current.values() if isinstance(current, dict) else current
        if depth > max_depth:
            return True
        pending.extend((child, depth + 1) for child in children if isinstance(child, dict | list))
    return False
