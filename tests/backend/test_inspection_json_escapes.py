"""`json_escapes`: lone surrogate escapes are found exactly, however the text is cut."""

from __future__ import annotations

import itertools

import pytest

from scalper_inspection.json._escapes import SurrogateScanner, find_lone_surrogate

CASES = [
    (rb'"\ud800"', "\\ud800"),
    (rb'"\uDBFF"', "\\udbff"),
    (rb'"\udc00"', "\\udc00"),
    (rb'"\ud800\u0041"', "\\ud800"),
    (rb'"\ud800\ud800"', "\\ud800"),
    (rb'"\ud800', "\\ud800"),
    (rb'"\ud83d\ude00"', None),
    (rb'"\\ud800"', None),
    (rb'"\\\ud800"', "\\ud800"),
    (rb'"\\\\ud800"', None),
    (rb'"\u0041\n\t"', None),
    (rb'"\ud83d\ude00\udc00"', "\\udc00"),
    (b"no escapes at all", None),
]


@pytest.mark.parametrize(("text", "expected"), CASES)
def test_lone_surrogate_is_found_in_whole_text(text: bytes, expected: str | None) -> None:
    assert find_lone_surrogate(text) == expected


@pytest.mark.parametrize(("text", "expected"), CASES)
def test_any_two_cuts_give_the_same_answer_as_whole_text(text: bytes, expected: str | None) -> None:
    for first, second in itertools.combinations_with_replacement(range(len(text) + 1), 2):
        scanner = SurrogateScanner()
        found = (
            scanner.feed(text[:first])
            or scanner.feed(text[first:second])
            or scanner.feed(text[second:])
            or scanner.feed(b"", final=True)
        )
        assert found == expected, (first, second)


@pytest.mark.parametrize(("run", "expected"), [(100_001, "\\ud800"), (100_000, None)])
def test_the_parity_of_a_long_backslash_run_carries_into_the_next_piece(run: int, expected: str | None) -> None:
    scanner = SurrogateScanner()
    assert scanner.feed(b'"' + b"\\" * run) is None
    assert scanner.feed(b'ud800"') == expected
