"""The local stack's operator signals: the schedule it reads, the alert lines it prints, the
rules it reloads."""

from __future__ import annotations

import json
import time
from pathlib import Path

from scalper_backend.local.alerts_console import MAX_LINE, alert_line
from scalper_backend.local.rules_watch import RulesWatcher
from scalper_backend.local.ticking import RETRY_AFTER, Ticker


def test_the_sweeper_runs_on_the_templates_schedule(template):
    (source,) = template.schedule_sources()

    assert (source.function, source.every_seconds) == ("SweeperFunction", 300)


def test_an_alert_is_one_bounded_line():
    huge = json.dumps({"event": "file.quarantined", "file_id": "f_x", "note": "a\nb" * 1000})

    line = alert_line(huge)

    assert line.startswith("alert: file.quarantined {") and "\n" not in line and len(line) == MAX_LINE


def test_an_unreadable_alert_is_still_one_line():
    assert alert_line("not json\nat all") == 'alert: unreadable {"event":"unreadable"}'


def test_an_edited_rules_file_redeploys_only_when_it_is_valid(tmp_path: Path):
    rules = tmp_path / "partners.toml"
    rules.write_text('version = "1"\n')
    redeployed: list[int] = []
    watcher = RulesWatcher(rules, redeploy=lambda: redeployed.append(1))

    rules.write_text('version = "2"\n[profiles.default]\nformula_cells = "sometimes"\n')  # invalid
    assert watcher.check() is False
    rules.write_text('version = "3"\n[profiles.default]\nformula_cells = "quarantine"\n')
    assert watcher.check() is True
    assert watcher.check() is False  # unchanged since

    assert redeployed == [1]


def test_a_failing_tick_is_retried_after_a_pause_not_at_once():
    ticks: list[float] = []

    class Failing(Ticker):
        def tick(self) -> None:
            ticks.append(time.monotonic())
            raise RuntimeError("queue unreachable")

    ticker = Failing(every=0)
    ticker.start()
    time.sleep(RETRY_AFTER * 1.5)
    ticker.stop()

    assert len(ticks) == 2 and ticks[1] - ticks[0] >= RETRY_AFTER
