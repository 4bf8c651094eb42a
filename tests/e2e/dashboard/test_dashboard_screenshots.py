"""``make screenshots`` (docs/dashboard.md) photographs the list and a quarantined file's page."""

from __future__ import annotations

import struct

import pytest
from support.screenshots import VIEWPORT, take

pytestmark = pytest.mark.e2e


def png_size(data: bytes) -> tuple[int, int]:
    assert data[:8] == b"\x89PNG\r\n\x1a\n" and data[12:16] == b"IHDR"
    width, height = struct.unpack(">II", data[16:24])
    return width, height


def test_screenshots_of_the_list_and_a_quarantined_file_are_written(stack, partner, browser, tmp_path):
    shots = take(stack, partner("dash-shots"), tmp_path, browser)

    assert [shot.name for shot in shots] == ["dashboard-files.png", "dashboard-quarantined-file.png"]
    for shot in shots:
        width, height = png_size(shot.read_bytes())
        assert width == VIEWPORT["width"] and height >= VIEWPORT["height"] // 2
