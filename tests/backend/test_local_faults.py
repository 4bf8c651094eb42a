"""The fault flags of the local stack (``scalper local --fault``): what they parse to and
which files they pick. What each fault does to the pipeline is in tests/e2e/test_faults.py."""

from __future__ import annotations

import time

import pytest

from scalper_backend.local.cli import build_parser
from scalper_backend.local.faults import Faults


def test_fault_flags_parse_to_shares():
    faults = Faults.parse(["raise=0.25", "kill", "s3-slowdown=0.5"], window=3)

    assert (faults.raise_first, faults.kill, faults.s3_slowdown, faults.window) == (0.25, 1.0, 0.5, 3)
    assert faults.any()
    assert not Faults().any()


@pytest.mark.parametrize("spec", ["explode=0.5", "raise=1.5", "raise=-0.1"])
def test_an_unknown_fault_or_a_share_outside_zero_to_one_is_refused(spec):
    with pytest.raises(ValueError):
        Faults.parse([spec])


def test_the_cli_refuses_a_bad_fault_with_a_usage_error(capsys):
    from scalper_backend.local.cli import main

    with pytest.raises(SystemExit) as exited:
        main(["--fault", "explode"])

    assert exited.value.code == 2
    assert "unknown fault 'explode'" in capsys.readouterr().err
    assert build_parser().parse_args(["--fault", "raise=0.1", "--fault", "kill=1"]).fault == ["raise=0.1", "kill=1"]


def test_the_files_a_fault_picks_are_the_same_in_every_process_and_about_its_share():
    faults = Faults(raise_first=0.2)
    ids = [f"f_{i:06d}" for i in range(5000)]

    picked = [file_id for file_id in ids if faults.hits("raise_first", file_id)]

    assert picked == [file_id for file_id in ids if Faults.from_json(faults.to_json()).hits("raise_first", file_id)]
    assert 0.17 < len(picked) / len(ids) < 0.23
    assert not any(faults.hits("hang", file_id) for file_id in ids)  # a share of 0


def test_s3_slowdown_refuses_only_within_its_window():
    faults = Faults(s3_slowdown=1.0, window=10).starting_at(1000.0, hang_seconds=0)

    assert faults.in_window(1005.0)
    assert not faults.in_window(1011.0)
    assert not faults.in_window(999.0)
    refusal = Faults(s3_slowdown=1.0, window=60).starting_at(time.time(), hang_seconds=0).s3_refusal()
    assert refusal is not None and (refusal.status, refusal.code) == (503, "SlowDown")
