"""The main job, end to end, on this machine: `make demo`.

Starts the embedded local stack in this process (moto on 127.0.0.1, the real handlers),
onboards a clinic, uploads every file in examples/data with the SDK, waits for each to be
processed or quarantined, prints a table, and exits 0 only if every file reached the state
that examples/data/expected.json says it should.
"""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path

from scalper_backend.local.stack import LocalStack
from silent_scalper import Client, FileRecord

DATA = Path(__file__).resolve().parent / "data"
ROOT = DATA.parents[1]


def example_files() -> list[Path]:
    return sorted(p for p in DATA.iterdir() if p.is_file() and p.name != "expected.json")


def where(record: FileRecord) -> str:
    if record.output:
        return f"s3://{record.output.bucket}/{record.output.key}"
    if record.quarantine:
        return f"s3://{record.quarantine.bucket}/{record.quarantine.key}"
    return "-"


def table(rows: list[list[str]]) -> str:
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    lines = ["  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True)).rstrip() for row in rows]
    lines.insert(1, "  ".join("-" * width for width in widths))
    return "\n".join(lines)


def main() -> int:
    expected = json.loads((DATA / "expected.json").read_text())
    started = time.perf_counter()
    with LocalStack(ROOT / "template.yaml", log_level="ERROR") as stack:
        api_key = stack.add_partner("northside-clinic")
        print(f"local stack up at {stack.endpoint} (partner northside-clinic)\n")
        with Client(endpoint=stack.endpoint, api_key=api_key) as client:
            uploaded = {path.name: client.upload(path) for path in example_files()}
            final = {name: client.wait(record.file_id, timeout=60) for name, record in uploaded.items()}

    rows = [["file", "state", "expected", "reasons", "output"]]
    failures = []
    for name, record in final.items():
        want = expected.get(name, {})
        codes = [reason.code for reason in record.reasons]
        ok = record.state.value == want.get("state") and codes == want.get("reasons", [])
        if not ok:
            failures.append(name)
        rows.append(
            [name, record.state.value, "ok" if ok else f"WANTED {want}", ", ".join(codes) or "-", where(record)]
        )
    print(table(rows))
    quarantined = [(name, r) for name, r in final.items() if r.reasons]
    if quarantined:
        print("\nwhy:")
        for name, record in quarantined:
            for reason in record.reasons:
                print(f"  {name}: {reason.message}")
    print(f"\n{len(final)} files in {time.perf_counter() - started:.1f}s; ", end="")
    if failures:
        print(f"NOT as expected: {', '.join(failures)}")
        return 1
    print("every file reached its expected state.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
