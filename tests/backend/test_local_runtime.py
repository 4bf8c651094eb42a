"""The local stack invokes handlers as Lambda does: each concurrent invocation in a worker
process of its own, with the function's environment, a timeout, and a new worker when one
dies."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from scalper_backend.errors import FunctionTimedOut, InvocationFailed, WorkerDied
from scalper_backend.local.runtime import FunctionConfig, LocalFunction, worker_environment
from scalper_backend.local.template import Template, default_template_path

TESTS = Path(__file__).resolve().parents[1]


def _function(handler: str, *, concurrency: int = 2, timeout: float = 10.0, **variables: str) -> LocalFunction:
    environment = worker_environment({"PYTHONPATH": str(TESTS), **variables})
    config = FunctionConfig(
        logical_id="Fake",
        name="test-Fake",
        handler=f"support.fake_handlers.{handler}",
        arn="arn:aws:lambda:us-east-1:123456789012:function:test-Fake",
        timeout=timeout,
        memory_mb=128,
        environment=environment,
    )
    return LocalFunction(config, concurrency=concurrency)


@pytest.fixture
def functions() -> Iterator[list[LocalFunction]]:
    """Functions made by a test, all stopped after it."""
    made: list[LocalFunction] = []
    yield made
    for function in made:
        function.stop()


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True


def _at_once(function: LocalFunction, events: list[dict[str, Any]]) -> list[Any]:
    results: list[Any] = [None] * len(events)

    def run(i: int) -> None:
        results[i] = function.invoke(events[i])

    threads = [threading.Thread(target=run, args=(i,)) for i in range(len(events))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return results


def test_concurrent_invocations_each_run_in_a_worker_process_of_their_own(functions):
    function = _function("sleep", concurrency=3)
    functions.append(function)

    pids = {result["pid"] for result in _at_once(function, [{"seconds": 0.5}] * 3)}

    assert len(pids) == 3 and os.getpid() not in pids
    assert function.invoke({"seconds": 0})["pid"] in pids  # a warm worker is used again
    assert function.cold_starts == 3


def test_invocations_beyond_the_concurrency_wait_for_a_free_worker(functions):
    function = _function("sleep", concurrency=1)
    functions.append(function)
    function.invoke({"seconds": 0})  # the cold start, out of the timing

    started = time.monotonic()
    pids = {result["pid"] for result in _at_once(function, [{"seconds": 0.4}] * 2)}

    assert len(pids) == 1
    assert time.monotonic() - started >= 0.8


def test_a_worker_has_the_function_environment_and_nothing_else(functions, monkeypatch):
    monkeypatch.setenv("SCALPER_TEST_NOT_FOR_WORKERS", "leaked")
    monkeypatch.setenv("AWS_PROFILE", "someones-real-account")
    function = _function("echo", FILES_TABLE="files")
    functions.append(function)
    names = ["FILES_TABLE", "SCALPER_TEST_NOT_FOR_WORKERS", "AWS_PROFILE", "AWS_CONFIG_FILE", "PATH"]

    answer = function.invoke({"names": names})

    assert answer["env"]["FILES_TABLE"] == "files"
    assert answer["env"]["SCALPER_TEST_NOT_FOR_WORKERS"] is None
    assert answer["env"]["AWS_PROFILE"] is None
    assert answer["env"]["AWS_CONFIG_FILE"] == os.devnull  # no ~/.aws settings reach the handlers
    assert answer["env"]["PATH"] == os.environ["PATH"]
    assert answer["function_name"] == "test-Fake"
    assert 0 < answer["remaining_ms"] <= 10_000


def test_the_template_functions_get_lambdas_reserved_variables(functions):
    template = Template(default_template_path(), stack_name="rt", region="us-east-1")
    config = FunctionConfig.of(template, "ProcessorFunction", worker_environment({}))

    assert config.environment["_HANDLER"] == "scalper_backend.handlers.processor.handler"
    assert config.environment["AWS_LAMBDA_FUNCTION_NAME"] == "rt-ProcessorFunction"
    assert config.environment["AWS_LAMBDA_FUNCTION_MEMORY_SIZE"] == str(template.function_memory("ProcessorFunction"))
    assert config.timeout == template.function_timeout("ProcessorFunction")


def test_every_template_function_starts_cold_in_its_own_worker(functions):
    template = Template(default_template_path(), stack_name="rt", region="us-east-1")
    started = []
    for name in template.of_type("AWS::Serverless::Function"):
        function = LocalFunction(FunctionConfig.of(template, name, worker_environment({})), concurrency=1)
        functions.append(function)
        started.append(function)

    def cold_start(function: LocalFunction) -> None:
        try:
            function.invoke({})
        except InvocationFailed as err:
            # Imported, then refused the empty event; a failed import says "failed to start".
            assert "failed to start" not in str(err)

    threads = [threading.Thread(target=cold_start, args=(f,)) for f in started]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert [f.cold_starts for f in started] == [1] * len(started)


def test_a_handler_that_raises_is_reported_and_its_worker_kept(functions):
    function = _function("fail")
    functions.append(function)

    with pytest.raises(InvocationFailed, match="ValueError: the handler refused the event"):
        function.invoke({})
    (worker,) = function.workers()

    with pytest.raises(InvocationFailed):
        function.invoke({})
    assert function.workers() == [worker]


def test_an_invocation_past_the_timeout_is_stopped_and_its_worker_replaced(functions):
    function = _function("sleep", concurrency=1, timeout=1.0)
    functions.append(function)
    pid = function.invoke({"seconds": 0})["pid"]

    started = time.monotonic()
    with pytest.raises(FunctionTimedOut):
        function.invoke({"seconds": 30})

    assert time.monotonic() - started < 5
    assert not _alive(pid)
    assert function.invoke({"seconds": 0})["pid"] != pid


def test_a_worker_that_dies_mid_invocation_is_replaced(functions):
    dying, sleeping = _function("die", concurrency=1), _function("echo", concurrency=1)
    functions += [dying, sleeping]

    with pytest.raises(WorkerDied):
        dying.invoke({})
    assert dying.workers() == []


def test_a_worker_killed_while_idle_is_replaced_unseen(functions):
    function = _function("echo", concurrency=1)
    functions.append(function)
    pid = function.invoke({})["pid"]

    os.kill(pid, signal.SIGKILL)
    deadline = time.monotonic() + 5
    while _alive(pid) and time.monotonic() < deadline:
        time.sleep(0.05)

    assert function.invoke({})["pid"] != pid


def test_a_result_that_is_not_json_fails_the_invocation(functions):
    function = _function("unserialisable")
    functions.append(function)

    with pytest.raises(InvocationFailed, match="TypeError"):
        function.invoke({})


def test_what_a_handler_prints_goes_to_standard_error(functions, capfd):
    function = _function("shout")
    functions.append(function)

    function.invoke({})

    out, err = capfd.readouterr()
    assert "a handler's print" not in out  # `scalper local`'s stdout holds only NAME=value lines
    assert "a handler's print" in err


def test_stopping_a_function_ends_its_workers(functions):
    function = _function("sleep", concurrency=2)
    pids = [result["pid"] for result in _at_once(function, [{"seconds": 0.2}] * 2)]

    function.stop()

    deadline = time.monotonic() + 10
    while any(_alive(pid) for pid in pids) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not any(_alive(pid) for pid in pids)
    with pytest.raises(InvocationFailed, match="stopped"):
        function.invoke({"seconds": 0})


def test_the_lambda_handlers_never_import_the_local_stack():
    # The fault code (local/faults.py) must never be reachable from a deployed function:
    # each handler, imported alone in a fresh interpreter, loads nothing of local/.
    handlers = ("presign", "status", "processor")
    script = (
        "import sys\n"
        f"for name in {handlers!r}:\n"
        "    __import__(f'scalper_backend.handlers.{name}')\n"
        "print(sorted(m for m in sys.modules if m.startswith('scalper_backend.local')))\n"
    )
    run = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=60, check=True)

    assert run.stdout.strip() == "[]"


def test_the_lambda_package_leaves_the_local_stack_out():
    root = TESTS.parent
    plan = subprocess.run(
        ["make", "-n", "build-ProcessorFunction", "ARTIFACTS_DIR=/nonexistent/artifacts"],
        cwd=root,
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    ).stdout

    assert 'rm -rf "/nonexistent/artifacts/scalper_backend/local"' in plan
