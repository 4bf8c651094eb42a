"""The local stack's operator signals: the schedule it reads, the alert lines it prints, the
summary line, the rules it reloads, and the whole lines its output is written in."""

from __future__ import annotations

import io
import json
import threading
import time
from pathlib import Path

from scalper_backend.local.alerts_console import MAX_LINE, alert_line
from scalper_backend.local.rules_watch import RulesWatcher
from scalper_backend.local.summary import SummaryReporter
from scalper_backend.local.ticking import RETRY_AFTER, Ticker
from scalper_backend.local.whole_lines import WholeLines
from scalper_backend.models import FileState


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


def test_the_summary_line_counts_files_by_state_and_queued_events(backend):
    dynamodb, sqs = backend.clients["dynamodb"], backend.clients["sqs"]
    table = backend.resources.names["FilesTable"]
    # Only the state is read; the keys come from the table's own schema.
    keys = [key["AttributeName"] for key in dynamodb.describe_table(TableName=table)["Table"]["KeySchema"]]
    states = [FileState.QUARANTINED, FileState.PROCESSED, FileState.PROCESSED, FileState.PENDING_UPLOAD]
    for n, state in enumerate(states):
        dynamodb.put_item(TableName=table, Item={**{key: {"S": f"{key}-{n}"} for key in keys}, "state": {"S": state}})
    queue, dead_letter = (
        backend.resources.queue_urls[name] for name in ("UploadEventsQueue", "UploadEventsDeadLetterQueue")
    )
    sqs.purge_queue(QueueUrl=queue)  # S3's test event, sent when the bucket's notification was set
    for url, count in ((queue, 2), (dead_letter, 1)):
        for _ in range(count):
            sqs.send_message(QueueUrl=url, MessageBody="{}")
    reporter = SummaryReporter(dynamodb, sqs, files_table=table, queue_url=queue, dead_letter_url=dead_letter, every=60)

    line = reporter.line()

    assert line == (
        "scalper local: files 4 declared, 3 received, 2 processed, 1 quarantined, 0 failed, 1 pending, 0 expired; "
        "queue 2 waiting, 0 in flight; dead-letter 1"
    )


def test_lines_printed_from_two_threads_come_out_whole():
    class Slow(io.StringIO):  # yields the GIL on each write, as a terminal or a pipe would
        def write(self, text: str) -> int:
            time.sleep(0.0001)
            return super().write(text)

    target = Slow()
    stream = WholeLines(target)
    expected = [f"{name} line {n}" for name in ("first", "second") for n in range(200)]

    def speak(name: str) -> None:
        for n in range(200):
            print(f"{name} line {n}", file=stream)

    threads = [threading.Thread(target=speak, args=(name,)) for name in ("first", "second")]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert sorted(target.getvalue().splitlines()) == sorted(expected)
