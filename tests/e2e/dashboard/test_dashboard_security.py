"""What keeps the dashboard safe: one partner's view, values as text, the CSRF token, the
Host check, the security headers, credentials kept in the server, loopback only."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
import requests
from playwright.sync_api import Page, expect
from support.dashboard import client_for, dashboard
from support.local_stack import ROOT, Stack

from silent_scalper import Client
from silent_scalper.dashboard import DashboardServer
from silent_scalper.dashboard.security import CONTENT_SECURITY_POLICY

pytestmark = pytest.mark.e2e

HOSTILE_NAME = "<img src=x onerror=alert(1)>.csv"
HOSTILE_NOTE = "<script>alert(2)</script>"
HOSTILE_COLUMN = "<img src=y onerror=alert(3)>"
# A header naming the hostile column twice: the reason's message quotes it.
HOSTILE_CSV = f"id,{HOSTILE_COLUMN},{HOSTILE_COLUMN}\n1,a,b\n".encode()
PLAIN_CSV = b"id,name\n1,plain\n"


@dataclass(frozen=True)
class Partner:
    id: str
    file_ids: list[str]
    server: DashboardServer


@pytest.fixture(scope="module")
def clinics(stack: Stack, partner: Callable[[str], str]) -> Iterator[tuple[Partner, Partner]]:
    a, b = partner("dash-a"), partner("dash-b")
    a_files = [
        stack.upload(HOSTILE_CSV, filename=HOSTILE_NAME, partner=a, declared={"metadata": {"note": HOSTILE_NOTE}}),
        stack.upload(PLAIN_CSV, filename="a-only-report.csv", partner=a),
    ]
    b_files = [stack.upload(PLAIN_CSV, filename="b-own-report.csv", partner=b)]
    for owner, tickets in ((a, a_files), (b, b_files)):
        for ticket in tickets:
            stack.wait_final(ticket["file_id"], partner=owner)
    with (
        client_for(stack, a) as a_client,
        client_for(stack, b) as b_client,
        dashboard(a_client) as a_server,
        dashboard(b_client) as b_server,
    ):
        yield (
            Partner(a, [t["file_id"] for t in a_files], a_server),
            Partner(b, [t["file_id"] for t in b_files], b_server),
        )


@pytest.fixture
def a(clinics: tuple[Partner, Partner]) -> Partner:
    return clinics[0]


@pytest.fixture
def b(clinics: tuple[Partner, Partner]) -> Partner:
    return clinics[1]


def test_partner_b_sees_none_of_partner_as_files(page: Page, a: Partner, b: Partner):
    page.goto(b.server.url)

    rows = page.locator("#files-table tbody tr")
    expect(rows).to_have_count(1)
    expect(rows.locator("th")).to_have_text("b-own-report.csv")
    expect(page.locator(".kpi").first).to_contain_text("Files1")
    html = page.content()
    assert not [file_id for file_id in a.file_ids if file_id in html]
    assert "a-only-report.csv" not in html


def test_partner_as_file_is_not_found_on_bs_dashboard(page: Page, a: Partner, b: Partner):
    page.goto(f"{b.server.url}files/{a.file_ids[1]}")

    expect(page.get_by_role("heading", level=1)).to_have_text("File not found")
    expect(page.locator("[data-error-code]")).to_have_attribute("data-error-code", "file_not_found")
    assert requests.get(f"{b.server.url}api/files/{a.file_ids[1]}", timeout=10).json()["error"]["code"] == (
        "file_not_found"
    )


def test_hostile_values_are_shown_as_text_and_run_no_script(page: Page, a: Partner):
    # The page fixture fails the test if any dialog opened, script threw or CSP refused.
    page.goto(a.server.url)
    link = page.locator(f"tr[data-file-id='{a.file_ids[0]}'] th a")
    expect(link).to_have_text(HOSTILE_NAME)
    assert page.locator("#files-table img, #files-table script").count() == 0

    link.click()

    expect(page.get_by_role("heading", level=1)).to_have_text(HOSTILE_NAME)
    expect(page.get_by_role("region", name="Metadata")).to_contain_text(HOSTILE_NOTE)
    expect(page.locator(".reason-message")).to_contain_text(HOSTILE_COLUMN)
    assert page.locator("main img, main script").count() == 0
    assert page.title() == f"{HOSTILE_NAME} · Silent Scalper"


def test_a_state_changing_request_without_the_csrf_token_is_refused(a: Partner, stack: Stack):
    before = len(stack.api("GET", "/files", a.id).json()["files"])
    upload = {"file": ("sneaky.csv", PLAIN_CSV, "text/csv")}

    missing = requests.post(f"{a.server.url}api/uploads", files=upload, timeout=10)
    wrong = requests.post(f"{a.server.url}api/uploads", files=upload, headers={"X-CSRF-Token": "guess"}, timeout=10)
    reprocess = requests.post(f"{a.server.url}api/files/{a.file_ids[0]}/reprocess", timeout=10)

    assert (missing.status_code, missing.json()["error"]["code"]) == (403, "csrf_token_missing")
    assert (wrong.status_code, wrong.json()["error"]["code"]) == (403, "csrf_token_invalid")
    assert (reprocess.status_code, reprocess.json()["error"]["code"]) == (403, "csrf_token_missing")
    assert len(stack.api("GET", "/files", a.id).json()["files"]) == before


def test_another_web_page_cannot_upload_through_the_dashboard(page: Page, a: Partner, stack: Stack):
    """A page of another origin (here: the local API's port) posts a form to the dashboard."""
    before = len(stack.api("GET", "/files", a.id).json()["files"])
    page.goto(stack.endpoint + "/openapi.json")

    outcome = page.evaluate(
        """async (url) => {
          const form = new FormData();
          form.append("file", new File(["id\\n1\\n"], "forged.csv"));
          try {
            await fetch(url, {method: "POST", body: form, headers: {"X-CSRF-Token": "guess"}});
            return "sent";
          } catch (error) { return "blocked"; }
        }""",
        f"{a.server.url}api/uploads",
    )

    assert outcome == "blocked"  # the custom header needs a CORS preflight, never granted
    assert len(stack.api("GET", "/files", a.id).json()["files"]) == before


@pytest.mark.parametrize("path", ["", "files/f_x", "api/files", "static/js/main.js"])
def test_a_request_naming_a_foreign_host_is_refused(a: Partner, path: str):
    """DNS rebinding: evil.example resolving to 127.0.0.1 still sends its own name."""
    answer = requests.get(a.server.url + path, headers={"Host": f"evil.example:{a.server.port}"}, timeout=10)

    assert (answer.status_code, answer.json()["error"]["code"]) == (400, "host_not_allowed")


def test_the_loopback_names_are_allowed(a: Partner):
    for host in ("127.0.0.1", "localhost"):
        answer = requests.get(f"{a.server.url}api/files", headers={"Host": f"{host}:{a.server.port}"}, timeout=10)
        assert answer.status_code == 200, host


@pytest.mark.parametrize("path", ["", "files/f_x", "api/files", "static/js/main.js", "no/such/page"])
def test_every_response_carries_the_security_headers(a: Partner, path: str):
    headers = requests.get(a.server.url + path, timeout=10).headers

    assert headers["Content-Security-Policy"] == CONTENT_SECURITY_POLICY
    assert "frame-ancestors 'none'" in CONTENT_SECURITY_POLICY
    assert "script-src 'self'" in CONTENT_SECURITY_POLICY and "unsafe-inline" not in CONTENT_SECURITY_POLICY
    assert headers["X-Content-Type-Options"] == "nosniff"
    assert headers["X-Frame-Options"] == "DENY"
    assert "Server" not in headers


def test_the_api_key_never_reaches_the_browser(page: Page, a: Partner, stack: Stack):
    bodies: list[bytes] = []
    page.on("response", lambda response: bodies.append(response.body()))
    page.goto(a.server.url)
    expect(page.locator("#updated")).to_contain_text("Updated")
    page.goto(f"{a.server.url}files/{a.file_ids[1]}")
    expect(page.locator("#file-view")).to_have_attribute("aria-busy", "false")

    key = stack.keys[a.id].encode()
    assert len(bodies) > 10
    assert [body[:80] for body in bodies if key in body] == []


def test_an_iam_dashboard_shows_the_partners_files(page: Page, stack: Stack, monkeypatch: pytest.MonkeyPatch):
    """``--auth iam``: the SDK's own SigV4 client, signing with the partner's IAM user."""
    name = f"iam-view-{os.urandom(3).hex()}.csv"
    file_id = stack.upload(PLAIN_CSV, filename=name, partner="acme")["file_id"]
    keys = stack.iam_keys["acme"]
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", keys.access_key_id)
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", keys.secret_access_key)

    with Client(stack.iam_endpoint, auth="iam") as client, dashboard(client, auth_label="IAM (SigV4)") as server:
        page.goto(f"{server.url}?q={name}")
        expect(page.locator(f"tr[data-file-id='{file_id}'] th")).to_have_text(name)
        expect(page.locator(".connection")).to_contain_text("IAM (SigV4)")


@pytest.mark.parametrize("auth", ["api_key", "iam"])
def test_scalper_dashboard_serves_on_loopback_only_until_stopped(stack: Stack, auth: str):
    """The commands of docs/dashboard.md: ``scalper dashboard`` with the environment's key,
    and ``--auth iam --endpoint $SCALPER_IAM_ENDPOINT`` with the partner's AWS keys."""
    name = f"cli-{auth}-{os.urandom(3).hex()}.csv"
    stack.upload(PLAIN_CSV, filename=name, partner="acme")
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SCALPER_", "AWS_"))}
    command = [sys.executable, "-m", "silent_scalper", "dashboard", "--port", "0"]
    if auth == "iam":
        keys = stack.iam_keys["acme"]
        env |= {"AWS_ACCESS_KEY_ID": keys.access_key_id, "AWS_SECRET_ACCESS_KEY": keys.secret_access_key}
        command += ["--auth", "iam", "--endpoint", stack.iam_endpoint]
    else:
        env |= {"SCALPER_ENDPOINT": stack.endpoint, "SCALPER_API_KEY": stack.keys["acme"]}
    process = subprocess.Popen(command, cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        assert process.stdout is not None
        variable, _, url = process.stdout.readline().strip().partition("=")
        assert variable == "SCALPER_DASHBOARD_URL" and url.startswith("http://127.0.0.1:")
        port = int(url.rstrip("/").rsplit(":", 1)[1])

        assert listening_addresses(port) == ["127.0.0.1"]
        listed = requests.get(f"{url}api/files", params={"q": name}, timeout=10).json()["files"]
        assert [f["filename"] for f in listed] == [name]
    finally:
        process.terminate()
        assert process.wait(timeout=20) == 0


def listening_addresses(port: int) -> list[str]:
    """The IPv4 and IPv6 addresses a TCP socket listens on at ``port`` (Linux's /proc/net)."""
    found = []
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        for line in Path(table).read_text().splitlines()[1:]:
            local, state = line.split()[1], line.split()[3]
            address, _, hex_port = local.partition(":")
            if state == "0A" and int(hex_port, 16) == port:  # 0A: LISTEN
                ipv4 = len(address) == 8
                found.append(".".join(str(b) for b in reversed(bytes.fromhex(address))) if ipv4 else address)
    return found
