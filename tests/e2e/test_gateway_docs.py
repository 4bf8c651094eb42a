"""The shell blocks of docs/partners.md and docs/local-stack.md's IAM section run as pasted."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.e2e

ROOT = Path(__file__).resolve().parents[2]


def _block(doc: str, containing: str) -> str:
    blocks = re.findall(r"```sh\n(.*?)```", (ROOT / "docs" / doc).read_text(), flags=re.S)
    (found,) = [b for b in blocks if containing in b]
    return found


def _env_file(stack, directory: Path) -> None:
    """scalper-local.env as ``scalper local ... | tee scalper-local.env`` writes it."""
    lines = [f"SCALPER_ENDPOINT={stack.endpoint}", f"SCALPER_API_KEY={stack.keys['demo']}"]
    lines.append(f"SCALPER_IAM_ENDPOINT={stack.iam_endpoint}")
    for partner, keys in stack.iam_keys.items():
        lines.append(f"SCALPER_AWS_ACCESS_KEY_ID_{partner.upper()}={keys.access_key_id}")
        lines.append(f"SCALPER_AWS_SECRET_ACCESS_KEY_{partner.upper()}={keys.secret_access_key}")
    lines.append(f"SCALPER_AWS_ENDPOINT={stack.aws_endpoint}")
    (directory / "scalper-local.env").write_text("\n".join(lines) + "\n")


def _run(script: str, cwd: Path, **env: str) -> subprocess.CompletedProcess[str]:
    base = {k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "SCALPER_"))}
    path = f"{Path(sys.executable).parent}{os.pathsep}{base.get('PATH', '')}"  # the venv's scalper
    return subprocess.run(
        ["bash", "-euo", "pipefail", "-c", script],
        cwd=cwd,
        env={**base, "PATH": path, **env},
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_the_iam_curl_example_lists_the_partners_files(stack, tmp_path):
    _env_file(stack, tmp_path)

    done = _run(_block("local-stack.md", "--aws-sigv4"), tmp_path)

    assert done.returncode == 0, done.stderr
    assert isinstance(json.loads(done.stdout)["files"], list)


def test_the_local_onboarding_block_runs(stack, tmp_path):
    done = _run(_block("partners.md", "create northside --local"), tmp_path, SCALPER_AWS_ENDPOINT=stack.aws_endpoint)

    assert done.returncode == 0, done.stderr
    assert "northside  disabled" in done.stdout
    assert "shown once" in done.stdout


def test_the_aws_onboarding_block_runs_against_a_stack_with_the_outputs(stack, tmp_path):
    block = _block("partners.md", "--stack-name")
    stack_name = re.search(r"--stack-name (\S+)", block)[1]  # type: ignore[index]
    region = re.search(r"--region (\S+)", block)[1]  # type: ignore[index]
    assert region == "us-east-1"  # the local stack's region: one moto serves the whole example
    stack.deployed_stack(stack_name)

    done = _run(
        block,
        tmp_path,
        AWS_ENDPOINT_URL=stack.aws_endpoint,
        AWS_ACCESS_KEY_ID="operator",
        AWS_SECRET_ACCESS_KEY="operator",
    )

    assert done.returncode == 0, done.stderr
    assert "api_key:" in done.stdout
