"""CSV cells a spreadsheet would execute: flagged in the details, quarantined when the rules say so."""

from __future__ import annotations

import pytest
from support.inspection import codes, inspect_bytes

from scalper_inspection import Limits, Location, Rules

QUARANTINE = Rules(formula_cells="quarantine")


@pytest.mark.parametrize("cell", ["=1+1", "=cmd|' /C calc'!A0", "+A1", "-1+1", "@SUM(A1:A2)", '"\t=1"', '"\r=1"'])
def test_each_owasp_trigger_is_flagged_with_count_and_first_location(cell: str) -> None:
    result, _ = inspect_bytes(f"id,note\n1,ok\n2,{cell}\n".encode(), "text/csv")
    assert result.ok, result.reasons
    assert result.formula_cells is not None
    assert result.formula_cells.count == 1
    assert result.formula_cells.first == Location(line=3, record=2, column="note")


@pytest.mark.parametrize("cell", ["-3.5", "+12", "-1e-3", "-.5", "-", "+", "a=b", " =1", "3-4"])
def test_plain_numbers_and_other_text_are_not_formulas(cell: str) -> None:
    result, _ = inspect_bytes(f"id,value\n1,{cell}\n".encode(), "text/csv")
    assert result.ok
    assert result.formula_cells is None


def test_every_formula_cell_is_counted_and_the_first_is_located() -> None:
    data = b"a,b,c\n1,2,3\n=1,+A1,ok\n4,@x,6\n"
    result, output = inspect_bytes(data, "text/csv")
    assert result.formula_cells is not None
    assert (result.formula_cells.count, result.formula_cells.first.line, result.formula_cells.first.column) == (
        3,
        3,
        "a",
    )
    # Flagged, not changed: the output keeps the cell as it was.
    assert b'"a":"=1"' in output


def test_a_formula_in_the_header_is_flagged_at_line_1() -> None:
    result, _ = inspect_bytes(b"id,=HYPERLINK(x)\n1,2\n", "text/csv")
    assert result.formula_cells is not None
    assert result.formula_cells.first == Location(line=1, column="=HYPERLINK(x)")


def test_rules_that_quarantine_formulas_give_a_located_reason() -> None:
    result, _ = inspect_bytes(b"id,note\n1,ok\n2,=1+1\n", "text/csv", rules=QUARANTINE)
    assert codes(result) == ["csv_formula_cells"]
    assert result.reasons[0].location == Location(line=3, record=2, column="note")
    assert "=1+1" not in result.reasons[0].message


def test_a_formula_right_after_a_chunk_boundary_is_found() -> None:
    # The pre-check looks at each chunk with the byte before it, so a delimiter ending
    # one chunk and a trigger starting the next still mark the cell.
    prefix = b"id,note\n" + b"1,abcdefgh\n" * 39
    pad = b"1," + b"a" * (448 - len(prefix) - 5) + b"\n"
    data = prefix + pad + b"2,=1+1\n"
    assert data.index(b"=") == 448  # a multiple of every chunk size below
    for chunk_size in (16, 28, 32, 56, 64, 112, 224):
        result, _ = inspect_bytes(data, "text/csv", limits=Limits(chunk_size=chunk_size, sniff_size=64))
        assert result.formula_cells is not None, chunk_size
        assert result.formula_cells.count == 1
