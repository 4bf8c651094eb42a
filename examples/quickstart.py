"""Upload files with the SDK and wait for each verdict.

set -a; . ./scalper-local.env; set +a   # exports SCALPER_ENDPOINT / SCALPER_API_KEY
python examples/quickstart.py examples/data/patients.csv examples/data/ragged-rows.csv
"""

from __future__ import annotations

import sys

from silent_scalper import Client, FileState, ScalperError


def main(paths: list[str]) -> int:
    with Client() as client:  # endpoint and key from SCALPER_ENDPOINT / SCALPER_API_KEY
        worst = 0
        for path in paths:
            try:
                record = client.wait(client.upload(path, metadata={"source": "quickstart"}).file_id, timeout=60)
            except ScalperError as err:
                print(f"{path}: {err}")
                worst = 1
                continue
            print(f"{path}: {record.state.value} ({record.file_id})")
            for reason in record.reasons:
                print(f"  {reason.code}: {reason.message}")
            if record.state is not FileState.PROCESSED:
                worst = 1
        return worst


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
