"""Every command a reader is told to paste in README.md and docs/*.md runs, in order.

The convention, for whoever writes docs:

- A fenced block tagged ``sh`` (or ``bash``/``shell``) is commands to paste; one tagged
  ``python`` is a script to run. Each document's blocks run in order, in a scratch
  directory that links to the repository's top-level entries (so ``.venv/bin/scalper``
  and ``examples/data`` resolve, and files a block writes land in the scratch
  directory). Variables a block exports (``set -a; . ./scalper-local.env; set +a``)
  are seen by the later blocks of the same document.
- A block must exit 0, unless the line above it says ``<!-- doc-test: exit N -->``.
- ``<!-- doc-test: skip REASON -->`` on the line above a block: not run; the reason is
  required (it needs an AWS account, or it is the test suite itself...).
- A block that runs a server, ``scalper local`` or ``scalper dashboard``, is run in the
  background with ``--port 0`` (any port it names is replaced, so parallel runs do not
  collide); the next block starts once the server says it is serving (the dashboard must
  then list files: its URL's ``api/files`` answers 200 with the credentials it was given),
  and the servers are stopped, newest first, after
  the document. A server block's exports do not reach later blocks (it has not ended):
  export in a block of its own. ``--open`` opens no browser (``BROWSER`` is ``true``).
- Blocks tagged otherwise (no tag, ``text``, ``json``, ``console``) show output and are
  not run.
"""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import pytest
import requests

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(600)]

ROOT = Path(__file__).resolve().parents[2]
DOCS = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
SHELL_TAGS = {"sh", "bash", "shell"}
_FENCE = re.compile(r"^```(\S*)[^\n]*\n(.*?)^```[ \t]*$", re.MULTILINE | re.DOTALL)
_MARKER = re.compile(r"<!--\s*doc-test:\s*(skip|exit)\s*(.*?)\s*-->\s*$")
# Commands that serve until stopped: the line that says they are serving, and what to
# ask at the URL it names (the dashboard lists files: the API answered its credentials).
SERVERS = {
    "local": (re.compile(r"scalper local: serving"), None),
    "dashboard": (re.compile(r"^SCALPER_DASHBOARD_URL=(\S+)$", re.MULTILINE), "api/files"),
}
_SERVER = re.compile(r"\bscalper (" + "|".join(SERVERS) + r")\b")
_PORT = re.compile(r"(?<![\w-])--port[= ]\d+")
# Set for the blocks: a block that runs the test suite must not run these tests again.
NESTED = "DOC_TEST_NESTED"


@dataclass(frozen=True)
class Block:
    path: Path
    line: int
    language: str
    code: str
    skip: str | None = None
    exit_code: int = 0

    @property
    def where(self) -> str:
        return f"{self.path.relative_to(ROOT)}:{self.line}"

    @property
    def server(self) -> str | None:
        """The server this block starts (a key of ``SERVERS``), if any."""
        found = _SERVER.search(self.code) if self.language in SHELL_TAGS else None
        return found.group(1) if found else None


def blocks(path: Path) -> list[Block]:
    """The runnable blocks of a document, with their markers."""
    text = path.read_text()
    found = []
    for match in _FENCE.finditer(text):
        language = match.group(1).lower()
        if language not in SHELL_TAGS | {"python"}:
            continue
        line = text.count("\n", 0, match.start()) + 1
        previous = text[: match.start()].rstrip("\n").rsplit("\n", 1)[-1]
        skip, exit_code = None, 0
        if marker := _MARKER.search(previous):
            kind, argument = marker.groups()
            if kind == "skip":
                assert argument, f"{path.name}:{line}: doc-test: skip needs a reason"
                skip = argument
            else:
                exit_code = int(argument)
        found.append(Block(path, line, language, match.group(2), skip, exit_code))
    return found


@pytest.fixture
def scratch(tmp_path: Path) -> Path:
    """A directory that looks like the repository to a reader's shell."""
    for entry in ROOT.iterdir():
        if entry.name not in {".git", "scalper-local.env"}:
            (tmp_path / entry.name).symlink_to(entry)
    return tmp_path


def _environment(scratch: Path) -> dict[str, str]:
    # The test session's fake AWS credentials stay; the developer's SCALPER_* do not.
    env = {k: v for k, v in os.environ.items() if not k.startswith("SCALPER_")}
    env[NESTED] = "1"
    env["XDG_STATE_HOME"] = str(scratch / ".state")  # the CLI's journal, kept in the scratch directory
    # The interpreter of the virtualenv first, as for a reader who made .venv as told.
    env["PATH"] = f"{Path(sys.executable).parent}{os.pathsep}{env.get('PATH', '')}"
    env["BROWSER"] = "true"  # what `scalper dashboard --open` runs: no browser window in tests
    return env


def _shell(block: Block, state: Path) -> str:
    code = block.code
    if block.server is not None:
        code = _PORT.sub("--port 0", code)
        if not _PORT.search(code):
            code = _SERVER.sub(r"scalper \1 --port 0", code)
    if block.language == "python":
        code = f"{sys.executable} - <<'DOC_TEST_PYTHON'\n{code}DOC_TEST_PYTHON\n"
    # Variables exported by this block reach the next ones (readonly ones excepted).
    save = f"trap 'export -p | grep -v \"^declare -[a-z]*r\" > {state}' EXIT"
    return f"set -eo pipefail\n[ -f {state} ] && . {state}\n{save}\n{code}"


@pytest.mark.parametrize("doc", DOCS, ids=[str(d.relative_to(ROOT)) for d in DOCS])
def test_pasted_blocks_run(doc: Path, scratch: Path) -> None:
    if os.environ.get(NESTED):
        pytest.skip("already inside a pasted block (a block ran the test suite)")
    runnable = [block for block in blocks(doc) if block.skip is None]
    if not runnable:
        pytest.skip(f"{doc.name} has no block to paste")
    if any(re.search(r"\bmake\b", block.code) for block in runnable):
        # Run from the scratch directory, a stale .venv would be reinstalled with scripts
        # pointing into it; `make` at the top first brings .venv up to date.
        stale = subprocess.run(["make", "-q", ".venv/.runtime"], cwd=ROOT, capture_output=True).returncode
        assert stale == 0, f"{doc.name} runs make, but .venv is not up to date: run `make test` first"
    state = scratch / ".doc-test-state"
    env = _environment(scratch)
    servers: list[subprocess.Popen[str]] = []
    try:
        for block in runnable:
            if block.server is not None:
                servers.append(_start_server(block, state, scratch, env))
                continue
            done = subprocess.run(
                ["bash", "-c", _shell(block, state)], cwd=scratch, env=env, capture_output=True, text=True, timeout=300
            )
            assert done.returncode == block.exit_code, (
                f"{block.where} exited {done.returncode}, expected {block.exit_code}\n"
                f"--- stdout\n{done.stdout[-3000:]}\n--- stderr\n{done.stderr[-3000:]}"
            )
    finally:
        for server in reversed(servers):
            os.killpg(server.pid, signal.SIGINT)
            try:
                server.wait(timeout=60)
            except subprocess.TimeoutExpired:
                os.killpg(server.pid, signal.SIGKILL)


def _start_server(block: Block, state: Path, scratch: Path, env: dict[str, str]) -> subprocess.Popen[str]:
    assert block.server is not None
    serving, probe = SERVERS[block.server]
    log = scratch / f".doc-test-{block.server}-{block.line}.log"
    with log.open("w") as out:
        server = subprocess.Popen(
            ["bash", "-c", _shell(block, state)], cwd=scratch, env=env, stdout=out, stderr=out, text=True,
            start_new_session=True,
        )
    deadline = time.monotonic() + 180
    while not (ready := serving.search(log.read_text())):
        assert server.poll() is None, f"{block.where}: {block.server} stopped:\n{log.read_text()[-3000:]}"
        assert time.monotonic() < deadline, f"{block.where}: {block.server} did not start:\n{log.read_text()[-3000:]}"
        time.sleep(0.2)
    time.sleep(0.5)  # let tee write what the server printed
    if probe is not None:
        url = ready.group(1) + probe
        answer = requests.get(url, timeout=60)
        assert answer.status_code == 200, f"{block.where}: {url} answered {answer.status_code}: {answer.text[:500]}"
    return server


def test_every_skip_says_why() -> None:
    for doc in DOCS:
        for block in blocks(doc):
            assert block.skip is None or len(block.skip) > 10, f"{block.where}: say why it is skipped"


def test_the_aws_onboarding_block_runs_against_moto_standing_in_for_aws(stack, scratch: Path) -> None:  # type: ignore[no-untyped-def]
    """partners.md's ``--stack-name`` block is skipped above (it needs a deployed stack); here
    it runs as pasted against a CloudFormation stack in moto with a deployed template's
    outputs, boto3 sent there by ``AWS_ENDPOINT_URL``."""
    (block,) = [b for b in blocks(ROOT / "docs" / "partners.md") if "--stack-name" in b.code]
    stack_name = re.search(r"--stack-name (\S+)", block.code)[1]  # type: ignore[index]
    assert re.search(r"--region (\S+)", block.code)[1] == "us-east-1"  # type: ignore[index]  # moto's region
    stack.deployed_stack(stack_name)
    aws = {"AWS_ENDPOINT_URL": stack.aws_endpoint, "AWS_ACCESS_KEY_ID": "operator", "AWS_SECRET_ACCESS_KEY": "operator"}
    env = {k: v for k, v in _environment(scratch).items() if not k.startswith("AWS_")} | aws

    done = subprocess.run(
        ["bash", "-c", _shell(block, scratch / ".doc-test-state")],
        cwd=scratch,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )

    assert done.returncode == 0, done.stderr
    assert "api_key:" in done.stdout
