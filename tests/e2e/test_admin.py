"""``scalper admin partner ...`` against the local stack, and against a "deployed" stack.

The deployed case points the AWS path (``--stack-name``, CloudFormation outputs, the
standard credential chain) at moto through ``AWS_ENDPOINT_URL``, so the same code that
runs against AWS runs here.
"""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from support.signing import Keys, send

pytestmark = pytest.mark.e2e

ROOT = Path(__file__).resolve().parents[2]
DECLARED = {"filename": "a.csv", "size": 4, "content_type": "text/csv", "sha256": hashlib.sha256(b"a\n1\n").hexdigest()}


def admin(stack, *args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    base = {k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "SCALPER_"))}
    environment = {**base, "SCALPER_AWS_ENDPOINT": stack.aws_endpoint, **(env or {})}
    return subprocess.run(
        [sys.executable, "-m", "silent_scalper", "admin", "partner", *args],
        cwd=ROOT,
        env=environment,
        capture_output=True,
        text=True,
        timeout=60,
    )


def _created(done: subprocess.CompletedProcess[str]) -> dict[str, str]:
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)  # type: ignore[no-any-return]


def _listed(stack) -> dict[str, dict]:
    done = admin(stack, "list", "--local", "--json")
    assert done.returncode == 0, done.stderr
    return {p["partner_id"]: p for p in map(json.loads, done.stdout.splitlines())}


def _table(stack) -> list[dict]:
    return stack.aws("dynamodb").scan(TableName=stack.name("PartnersTable"))["Items"]  # type: ignore[no-any-return]


def test_a_created_partner_can_upload_with_its_new_key(stack, unique):
    name = unique("clinic")

    new = _created(admin(stack, "create", name, "--local", "--json"))

    stack.keys[name] = new["api_key"]
    answer = stack.api("POST", "/uploads", name, json=DECLARED)
    assert answer.status_code == 201, answer.text
    assert f"/uploads/{name}/" in answer.json()["upload"]["url"]
    assert _listed(stack)[name] == {"partner_id": name, "enabled": True, "principals": [f"apikey:{new['api_key_id']}"]}


def test_an_iam_partner_is_served_on_the_iam_api_as_itself(stack, unique):
    name = unique("iamclinic")
    iam = stack.aws("iam")
    user = iam.create_user(UserName=name)["User"]
    key = iam.create_access_key(UserName=name)["AccessKey"]

    _created(admin(stack, "create", name, "--iam-principal", user["Arn"], "--local", "--json"))

    keys = Keys(key["AccessKeyId"], key["SecretAccessKey"])
    answer = send("POST", stack.iam_endpoint + "/uploads", keys, json_body=DECLARED)
    assert answer.status_code == 201, answer.text
    assert f"/uploads/{name}/" in answer.json()["upload"]["url"]


def test_a_disabled_partner_is_refused_at_once_on_both_apis(stack, unique):
    name = unique("leaving")
    iam = stack.aws("iam")
    user = iam.create_user(UserName=name)["User"]
    key = iam.create_access_key(UserName=name)["AccessKey"]
    keys = Keys(key["AccessKeyId"], key["SecretAccessKey"])
    created = _created(admin(stack, "create", name, "--iam-principal", user["Arn"], "--local", "--json"))
    stack.keys[name] = created["api_key"]
    assert stack.api("GET", "/files", name).status_code == 200
    assert send("GET", stack.iam_endpoint + "/files", keys).status_code == 200

    done = admin(stack, "disable", name, "--local")

    assert done.returncode == 0, done.stderr
    assert stack.api("GET", "/files", name).json()["error"]["code"] == "forbidden"
    refused = send("GET", stack.iam_endpoint + "/files", keys)
    assert (refused.status_code, refused.json()["error"]["code"]) == (403, "forbidden")
    assert "disabled" in refused.json()["error"]["message"]
    assert _listed(stack)[name]["enabled"] is False


def test_a_rotated_key_replaces_the_old_one_at_once(stack, unique):
    name = unique("rotating")
    old = _created(admin(stack, "create", name, "--local", "--json"))["api_key"]
    stack.keys[name] = old
    assert stack.api("GET", "/files", name).status_code == 200

    new = _created(admin(stack, "rotate-key", name, "--local", "--json"))["api_key"]

    assert stack.api("GET", "/files", name).status_code == 403
    stack.keys[name] = new
    assert stack.api("GET", "/files", name).status_code == 200


@pytest.mark.parametrize(
    ("args", "code", "message"),
    [
        (("create", "Bad_Name", "--local"), 1, "must match"),
        (("create", "acme", "--local"), 1, "already exists"),
        (("create", "newone", "--iam-principal", "arn:aws:iam::123456789012:role/team/x", "--local"), 1, "not an IAM"),
        (("disable", "nobody", "--local"), 1, "partner_not_found"),
        (("list",), 2, "--stack-name NAME (AWS) or --local"),
        (("list", "--local", "--stack-name", "s"), 2, "--stack-name NAME (AWS) or --local"),
    ],
)
def test_a_refused_command_says_why_and_changes_nothing(stack, args, code, message):
    before = _table(stack)

    done = admin(stack, *args)

    assert (done.returncode, done.stdout) == (code, "")
    assert message in done.stderr and "Traceback" not in done.stderr
    assert _table(stack) == before


def test_local_without_an_endpoint_says_what_to_set(stack):
    done = admin(stack, "list", "--local", env={"SCALPER_AWS_ENDPOINT": ""})

    assert done.returncode == 2 and "SCALPER_AWS_ENDPOINT" in done.stderr


def test_the_same_command_works_against_a_deployed_stack_through_its_outputs(stack, unique):
    """The --stack-name path, with boto3 sent to moto by AWS_ENDPOINT_URL instead of AWS."""
    deployed = unique("deployed")
    stack.deployed_stack(deployed)
    aws = {
        "AWS_ENDPOINT_URL": stack.aws_endpoint,
        "AWS_ACCESS_KEY_ID": "operator",
        "AWS_SECRET_ACCESS_KEY": "operator",
        "SCALPER_AWS_ENDPOINT": "",
    }
    name = unique("viaaws")

    new = _created(admin(stack, "create", name, "--stack-name", deployed, "--region", "us-east-1", "--json", env=aws))

    stack.keys[name] = new["api_key"]
    assert stack.api("GET", "/files", name).status_code == 200
    missing = admin(stack, "list", "--stack-name", "no-such-stack", "--region", "us-east-1", env=aws)
    assert missing.returncode == 2 and "cannot read stack 'no-such-stack'" in missing.stderr
