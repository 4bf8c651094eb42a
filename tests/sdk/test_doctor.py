"""``scalper doctor`` says what is wrong: endpoint, stage, credentials, clock."""

from __future__ import annotations

import re
import time
from email.utils import formatdate

import pytest
import responses

from silent_scalper.cli import main

ENDPOINT = "http://scalper.test/v1"
PAGE = {"files": [], "next_cursor": None}


def doctor(*args: str) -> int:
    return main(["doctor", *args])


def test_a_healthy_setup_passes_every_check(api: responses.RequestsMock, capsys: pytest.CaptureFixture[str]) -> None:
    api.get(f"{ENDPOINT}/files", json=PAGE, headers={"Date": formatdate(time.time(), usegmt=True)})

    code = doctor("--endpoint", ENDPOINT, "--api-key", "k")

    lines = capsys.readouterr().out.splitlines()
    assert code == 0
    assert [line.split()[:2] for line in lines] == [
        ["ok", "config"], ["ok", "endpoint"], ["ok", "clock"], ["ok", "stage"], ["ok", "auth"]
    ]


def test_a_refused_api_key_fails_the_auth_check(
    api: responses.RequestsMock, capsys: pytest.CaptureFixture[str]
) -> None:
    error = {"error": {"code": "forbidden", "message": "Forbidden", "request_id": "r"}}
    api.get(f"{ENDPOINT}/files", status=403, json=error, headers={"Date": formatdate(time.time(), usegmt=True)})

    code = doctor("--endpoint", ENDPOINT, "--api-key", "wrong")

    out = capsys.readouterr().out
    assert code == 1
    assert "FAIL  auth" in out and "check SCALPER_API_KEY" in out


def test_an_endpoint_without_the_stage_fails_the_stage_check(
    api: responses.RequestsMock, capsys: pytest.CaptureFixture[str]
) -> None:
    error = {"error": {"code": "route_not_found", "message": "no route", "request_id": "r"}}
    api.get("http://scalper.test/files", status=404, json=error)

    assert doctor("--endpoint", "http://scalper.test", "--api-key", "k") == 1
    assert "FAIL  stage     route_not_found: no route; the endpoint has no stage" in capsys.readouterr().out


def test_a_stack_that_is_not_running_fails_the_endpoint_check(capsys: pytest.CaptureFixture[str]) -> None:
    assert doctor("--endpoint", "http://127.0.0.1:9/v1", "--api-key", "k") == 1

    out = capsys.readouterr().out
    assert "FAIL  endpoint" in out and "start the local stack with `scalper local`" in out


def test_a_clock_off_by_more_than_five_minutes_fails(
    api: responses.RequestsMock, capsys: pytest.CaptureFixture[str]
) -> None:
    api.get(f"{ENDPOINT}/files", json=PAGE, headers={"Date": formatdate(time.time() - 900, usegmt=True)})

    assert doctor("--endpoint", ENDPOINT, "--api-key", "k") == 1
    assert re.search(r"FAIL  clock     this machine is (899|900|901)s ahead of the API", capsys.readouterr().out)


def test_missing_configuration_exits_2(capsys: pytest.CaptureFixture[str]) -> None:
    assert doctor() == 2
    assert capsys.readouterr().out.startswith("FAIL  config  no endpoint")
