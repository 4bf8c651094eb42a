"""A flood beyond the limits gets 429 ``throttled`` with ``Retry-After``, locally as on AWS.

Per key, the limit is the usage plan's (kept in moto's API Gateway, as in the real one);
per method, the stage's MethodSettings from template.yaml.
"""

from __future__ import annotations

import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from support.local_stack import local_stack
from support.signing import Keys, send

pytestmark = pytest.mark.e2e

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def stack(tmp_path_factory):
    """A throttled stack of this module's own (the shared one runs unthrottled)."""
    with local_stack(tmp_path_factory.mktemp("throttled") / "stack.log") as started:
        yield started


@pytest.fixture
def onboard(stack):
    return stack.onboard


def _assert_throttled(response) -> None:
    assert response.status_code == 429, response.text
    assert response.headers["Retry-After"] == "1"
    assert response.json()["error"]["code"] == "throttled"
    assert response.json()["error"]["request_id"]


def test_a_key_over_its_usage_plan_burst_is_throttled_then_served_again(stack, onboard, unique):
    plan = stack.aws("apigateway").create_usage_plan(name=unique("tight"), throttle={"burstLimit": 2, "rateLimit": 1.0})
    partner = unique("tight")
    onboard(partner, plan=plan["id"])

    answers = [stack.api("GET", "/files", partner) for _ in range(4)]

    assert [a.status_code for a in answers[:2]] == [200, 200]
    _assert_throttled(answers[3])
    time.sleep(1.1)  # one token back at one per second
    assert stack.api("GET", "/files", partner).status_code == 200


def test_a_flood_beyond_the_template_plan_is_throttled_and_never_over_served(stack, onboard, unique):
    partner = unique("flood")
    onboard(partner)  # in the template's PartnersUsagePlan
    throttle = stack.template.properties("PartnersUsagePlan")["Throttle"]
    burst, rate = int(throttle["BurstLimit"]), float(throttle["RateLimit"])

    started = time.monotonic()
    with ThreadPoolExecutor(max_workers=8) as pool:
        answers = list(pool.map(lambda _: stack.api("GET", "/files", partner), range(4 * burst + 60)))
    elapsed = time.monotonic() - started

    served = sum(a.status_code == 200 for a in answers)
    throttled = [a for a in answers if a.status_code == 429]
    assert served + len(throttled) == len(answers)
    assert throttled, f"{served} served in {elapsed:.2f}s without a 429"
    _assert_throttled(throttled[0])
    assert served <= burst + rate * elapsed + 1


def test_another_key_is_not_throttled_by_a_flood(stack, onboard, unique):
    plan = stack.aws("apigateway").create_usage_plan(name=unique("tiny"), throttle={"burstLimit": 1, "rateLimit": 0.1})
    flooded = unique("flooded")
    onboard(flooded, plan=plan["id"])
    for _ in range(3):
        stack.api("GET", "/files", flooded)

    assert stack.api("GET", "/files", "acme").status_code == 200


def _template_with_iam_method_throttle(tmp_path: Path, burst: int, rate: float) -> Path:
    """template.yaml with lower stage method limits (Globals.Api's MethodSettings, which
    both APIs share; the IAM API has no usage plan, so they are its only limits)."""
    text = (ROOT / "template.yaml").read_text()
    assert text.count("ThrottlingBurstLimit: 100") == text.count("ThrottlingRateLimit: 50") == 1
    text = text.replace("ThrottlingBurstLimit: 100", f"ThrottlingBurstLimit: {burst}")
    text = text.replace("ThrottlingRateLimit: 50", f"ThrottlingRateLimit: {rate}")
    path = tmp_path / "template.yaml"
    path.write_text(text)
    return path


def test_the_stage_method_throttle_applies_to_the_iam_api(tmp_path):
    # A slow refill (one request per 20 s): the first request cold-starts a worker process,
    # which takes seconds on a loaded machine, and must not refill the bucket meanwhile.
    template = _template_with_iam_method_throttle(tmp_path, burst=2, rate=0.05)
    args = [sys.executable, "-m", "silent_scalper", "local", "--port", "0", "--template", str(template)]
    process = subprocess.Popen(args, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    try:
        assert process.stdout is not None
        values = {}
        for line in process.stdout:
            name, _, value = line.strip().partition("=")
            values[name] = value
            if name == "SCALPER_AWS_ENDPOINT":
                break
        keys = Keys(values["SCALPER_AWS_ACCESS_KEY_ID_DEMO"], values["SCALPER_AWS_SECRET_ACCESS_KEY_DEMO"])

        answers = [send("GET", values["SCALPER_IAM_ENDPOINT"] + "/files", keys) for _ in range(3)]
        other_method = send("GET", values["SCALPER_IAM_ENDPOINT"] + "/files/f_01jdq3w6x1f8m3zq1v6k7c2n4r", keys)

        assert [a.status_code for a in answers[:2]] == [200, 200]
        _assert_throttled(answers[2])
        assert other_method.status_code == 404  # each method has its own bucket
    finally:
        process.terminate()
        process.wait(timeout=20)
