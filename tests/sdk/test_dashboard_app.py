"""The dashboard's JSON routes against a fake API: filters, paging, error shapes, the
upload path, and the shipped chart library. (The browser tests in tests/e2e/dashboard
drive the same routes against the local stack.)"""

from __future__ import annotations

import hashlib
import io
import json
import re
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
import requests
import responses
from flask.testing import FlaskClient

from silent_scalper import Client
from silent_scalper.cli import main
from silent_scalper.dashboard import DashboardSettings, create_app
from silent_scalper.dashboard.listing import ListFilters

ENDPOINT = "http://scalper.test/v1"
Payload = Callable[..., dict[str, Any]]
VENDOR = Path(__file__).parents[2] / "sdk/silent_scalper/dashboard/static/vendor/chartjs"


@pytest.fixture
def browser() -> Iterator[FlaskClient]:
    with Client(ENDPOINT, api_key="sk-test", max_retries=0) as client:
        app = create_app(client, DashboardSettings(max_upload_bytes=1_000))
        yield app.test_client()


def token(browser: FlaskClient) -> str:
    page = browser.get("/").get_data(as_text=True)
    match = re.search(r'<meta name="csrf-token" content="([^"]+)">', page)
    assert match
    return match.group(1)


def sent_query(api: responses.RequestsMock, index: int = 0) -> dict[str, list[str]]:
    return parse_qs(urlsplit(str(api.calls[index].request.url)).query)


def test_the_list_passes_its_filters_to_the_api(browser, api, payload: Payload):
    api.get(f"{ENDPOINT}/files", json={"files": [payload("file_record_processed")], "next_cursor": "c2"})

    answer = browser.get("/api/files?state=processed&q=scan&created_before=2026-11-26T00:00:00Z&limit=10")

    assert answer.status_code == 200
    assert answer.json["next_cursor"] == "c2"
    assert answer.json["files"][0]["is_final"] is True
    assert sent_query(api) == {
        "state": ["processed"],
        "q": ["scan"],
        "created_before": ["2026-11-26T00:00:00Z"],
        "limit": ["10"],
    }


def test_since_is_sent_as_an_absolute_time_and_echoed_for_the_next_page(browser, api):
    api.get(f"{ENDPOINT}/files", json={"files": [], "next_cursor": "c2"})

    answer = browser.get("/api/files?since=24h")

    sent = datetime.fromisoformat(sent_query(api)["created_after"][0])
    assert abs(sent - (datetime.now(UTC) - timedelta(hours=24))) < timedelta(seconds=5)
    assert datetime.fromisoformat(answer.json["filters"]["created_after"]) == sent
    assert "since" not in answer.json["filters"]


def test_a_name_search_follows_short_pages_to_fill_one(browser, api, payload: Payload):
    api.get(f"{ENDPOINT}/files", json={"files": [], "next_cursor": "c1"})
    api.get(f"{ENDPOINT}/files", json={"files": [payload("file_record_processed")], "next_cursor": "c2"})
    api.get(f"{ENDPOINT}/files", json={"files": [payload("file_record_processed")], "next_cursor": None})

    answer = browser.get("/api/files?q=scan&limit=2")

    assert len(answer.json["files"]) == 2 and answer.json["next_cursor"] is None
    assert [sent_query(api, i).get("cursor") for i in range(3)] == [None, ["c1"], ["c2"]]


def test_a_filter_the_dashboard_cannot_read_is_a_json_error(browser):
    answer = browser.get("/api/files?created_after=yesterday")

    assert answer.status_code == 400
    assert answer.json["error"]["code"] == "invalid_request"
    assert answer.json["error"]["message"].startswith("created_after:")


def test_an_api_error_passes_through_with_its_status_code_and_request_id(browser, api, error_body):
    api.get(f"{ENDPOINT}/files/f_x", status=404, json=error_body("file_not_found", "no such file", "req-9"))

    answer = browser.get("/api/files/f_x")

    assert answer.status_code == 404
    assert answer.json == {"error": {"code": "file_not_found", "message": "no such file", "request_id": "req-9"}}


def test_an_unreachable_api_is_a_502_without_a_traceback(browser, api):
    api.get(f"{ENDPOINT}/files/f_x", body=requests.ConnectionError("refused"))

    answer = browser.get("/api/files/f_x")

    assert answer.status_code == 502
    assert answer.json["error"]["code"] == "connection_error"
    assert "Traceback" not in answer.get_data(as_text=True)


def test_a_record_that_breaks_the_contract_is_a_502(browser, api, payload: Payload):
    api.get(f"{ENDPOINT}/files/f_x", json=payload("file_record_processed") | {"created_at": None})

    answer = browser.get("/api/files/f_x")

    assert (answer.status_code, answer.json["error"]["code"]) == (502, "invalid_response")


def test_an_unexpected_fault_is_a_500_without_a_traceback(browser, monkeypatch, caplog):
    def broken(*args: object) -> None:
        raise RuntimeError("secret detail")

    monkeypatch.setattr("silent_scalper.dashboard.app.collect", broken)

    answer = browser.get("/api/stats")

    assert (answer.status_code, answer.json["error"]["code"]) == (500, "internal_error")
    assert "secret detail" not in answer.get_data(as_text=True)
    assert "secret detail" in caplog.text  # in the server's log, for whoever runs it


def test_stats_read_the_window_and_refuse_a_silly_period(browser, api):
    api.get(f"{ENDPOINT}/files", json={"files": [], "next_cursor": None})

    assert browser.get("/api/stats?hours=6").json["hours"] == 6
    assert "created_after" in sent_query(api)
    for hours in ("0", "169", "abc", "9" * 5000):
        assert browser.get(f"/api/stats?hours={hours}").json["error"]["code"] == "invalid_request"


def test_an_upload_goes_through_the_presigned_flow(browser, api, payload: Payload):
    body = b"id\n1\n"
    api.post(f"{ENDPOINT}/uploads", status=201, json=payload("upload_ticket"))
    api.put(re.compile(r"http://storage\.test/.*"), status=200)
    api.get(re.compile(rf"{ENDPOINT}/files/.*"), json=payload("file_record_processed", state="processing"))

    answer = browser.post(
        "/api/uploads", data={"file": (io.BytesIO(body), "ward.csv")}, headers={"X-CSRF-Token": token(browser)}
    )

    assert answer.status_code == 201
    declared = api.calls[0].request
    assert json.loads(declared.body)["filename"] == "ward.csv"
    assert json.loads(declared.body)["sha256"] == hashlib.sha256(body).hexdigest()
    put = api.calls[1].request.body
    assert (put if isinstance(put, bytes) else put.read()) == body


def test_an_upload_over_the_limit_is_refused_before_the_api(browser):
    answer = browser.post(
        "/api/uploads", data={"file": (io.BytesIO(b"x" * 1_001), "big.csv")}, headers={"X-CSRF-Token": token(browser)}
    )

    assert answer.status_code == 413
    assert answer.json["error"] == {
        "code": "upload_too_large",
        "message": "the dashboard takes files up to 1 kB; use `scalper upload` for larger files",
        "request_id": None,
    }


def test_an_upload_without_a_file_is_refused(browser):
    answer = browser.post("/api/uploads", headers={"X-CSRF-Token": token(browser)})

    assert (answer.status_code, answer.json["error"]["code"]) == (400, "invalid_request")


def test_each_server_has_its_own_csrf_token():
    with Client(ENDPOINT, api_key="k") as client:
        first, second = create_app(client).test_client(), create_app(client).test_client()
        assert token(first) != token(second)


def test_list_filters_refuse_what_the_api_would():
    with pytest.raises(Exception, match="state"):
        ListFilters.from_query({"state": "lost"})
    assert ListFilters.from_query({"state": "", "q": ""}) == ListFilters()


def test_the_chart_library_is_the_file_its_source_note_names():
    note = (VENDOR / "SOURCE.md").read_text()
    digest = hashlib.sha256((VENDOR / "chart.umd.min.js").read_bytes()).hexdigest()

    assert f"sha256 `{digest}`" in note
    assert "Chart.js v4.6.1" in (VENDOR / "chart.umd.min.js").read_text()[:200]
    assert "MIT License" in (VENDOR / "LICENSE.md").read_text()


def test_scalper_dashboard_with_iam_looks_for_the_iam_endpoint(capsys):
    """``--auth iam`` is every command's option, and reaches the client: with IAM it is the
    IAM API's endpoint that is missing."""
    assert main(["dashboard", "--auth", "iam", "--port", "0"]) == 2
    assert "no endpoint: pass endpoint=... or set SCALPER_IAM_ENDPOINT or SCALPER_ENDPOINT" in capsys.readouterr().err


@pytest.mark.parametrize("option", ["--refresh", "--max-upload-mb"])
def test_scalper_dashboard_refuses_a_setting_below_one(option, capsys):
    assert main(["dashboard", option, "0"]) == 2
    assert "expected a positive integer, got '0'" in capsys.readouterr().err
