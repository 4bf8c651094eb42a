"""The IAM API through the local stack: SigV4 verified for real, refusals as API Gateway answers them.

Requests are signed by botocore with credentials from moto's IAM and STS, exactly as a
partner's AWS SDK would sign them with credentials from its own account.
"""

from __future__ import annotations

import hashlib
import json
from datetime import UTC, datetime, timedelta

import pytest
import requests
from support.api_errors import json_error
from support.signing import Keys, send

pytestmark = pytest.mark.e2e


def _iam_user(stack, name: str) -> tuple[str, Keys]:
    iam = stack.aws("iam")
    user = iam.create_user(UserName=name)["User"]
    key = iam.create_access_key(UserName=name)["AccessKey"]
    return user["Arn"], Keys(key["AccessKeyId"], key["SecretAccessKey"])


def test_a_signed_request_is_served_as_the_signers_partner(stack, upload):
    ticket = upload(b"a\n1\n", partner="acme")

    listed = stack.iam_api("GET", "/files", "acme", headers={}).json()["files"]

    assert ticket["file_id"] in [f["file_id"] for f in listed]


def test_a_file_declared_over_iam_is_processed_and_seen_through_both_apis(stack):
    body = b"patient_id,name\n1,Ada\n"
    declared = {"filename": "iam.csv", "size": len(body), "content_type": "text/csv"}
    declared["sha256"] = hashlib.sha256(body).hexdigest()

    answer = stack.iam_api("POST", "/uploads", "globex", json_body=declared)
    assert answer.status_code == 201, answer.text
    ticket = answer.json()
    assert f"/uploads/globex/{ticket['file_id']}" in ticket["upload"]["url"]
    headers = {**ticket["upload"]["headers"], "Content-Length": str(len(body))}
    assert requests.put(ticket["upload"]["url"], data=body, headers=headers, timeout=10).status_code == 200

    record = stack.wait_final(ticket["file_id"], partner="globex")

    assert record["state"] == "processed"
    assert stack.iam_api("GET", f"/files/{ticket['file_id']}", "globex").json()["state"] == "processed"


def test_an_unsigned_request_is_forbidden(stack):
    error = json_error(stack.iam_api("GET", "/files", partner=None), 403, "forbidden")

    assert "sign the request with SigV4" in error["message"]


def test_an_api_key_does_not_open_the_iam_api(stack):
    response = stack.iam_api("GET", "/files", partner=None, headers={"x-api-key": stack.keys["acme"]})

    json_error(response, 403, "forbidden")


def test_a_signed_request_to_an_unknown_route_is_forbidden_as_on_aws(stack):
    json_error(stack.iam_api("GET", "/nope", "acme"), 403, "forbidden")


def _replace_header(name: str, value: str):
    return lambda url, headers, body: (url, {**headers, name: value}, body)


@pytest.mark.parametrize(
    "tamper",
    [
        pytest.param(lambda u, h, b: (u, h, b.replace(b'"size": 4', b'"size": 5')), id="body"),
        pytest.param(_replace_header("Content-Type", "application/json; charset=utf-8"), id="signed header"),
        pytest.param(
            lambda u, h, b: (u, {**h, "Authorization": h["Authorization"].replace("Signature=", "Signature=0")}, b),
            id="signature",
        ),
    ],
)
def test_a_request_changed_after_signing_is_refused(stack, tamper):
    body = {"filename": "a.csv", "size": 4, "content_type": "text/csv", "sha256": "0" * 64}

    response = stack.iam_api("POST", "/uploads", "acme", json_body=body, tamper=tamper)

    error = json_error(response, 403, "signature_invalid")
    assert response.headers["x-amzn-ErrorType"] == "InvalidSignatureException"
    assert "signature" in error["message"].lower()


def test_a_changed_path_is_refused(stack):
    signed, other = "f_01jdq3w6x1f8m3zq1v6k7c2n4r", "f_01jdq3w6x1f8m3zq1v6k7c2n4s"
    tamper = lambda u, h, b: (u.replace(signed, other), h, b)  # noqa: E731

    json_error(stack.iam_api("GET", f"/files/{signed}", "acme", tamper=tamper), 403, "signature_invalid")


def test_a_changed_query_is_refused(stack):
    tamper = lambda u, h, b: (u.replace("limit=1", "limit=2"), h, b)  # noqa: E731

    json_error(stack.iam_api("GET", "/files?limit=1", "acme", tamper=tamper), 403, "signature_invalid")


def test_a_signature_older_than_five_minutes_is_refused_as_expired(stack):
    signed_at = datetime.now(UTC) - timedelta(minutes=6)

    error = json_error(stack.iam_api("GET", "/files", "acme", at=signed_at), 403, "signature_invalid")

    assert error["message"].startswith("Signature expired: ")


def test_a_signature_from_the_future_is_refused(stack):
    signed_at = datetime.now(UTC) + timedelta(minutes=6)

    error = json_error(stack.iam_api("GET", "/files", "acme", at=signed_at), 403, "signature_invalid")

    assert error["message"].startswith("Signature not yet current: ")


def test_a_wrong_secret_is_refused(stack):
    keys = Keys(stack.iam_keys["acme"].access_key_id, "not-the-secret-" + "x" * 25)

    json_error(send("GET", stack.iam_endpoint + "/files", keys), 403, "signature_invalid")


def test_an_unknown_access_key_is_refused(stack):
    stranger = Keys("AKIAIOSFODNN7EXAMPLE", "x" * 40)

    error = json_error(send("GET", stack.iam_endpoint + "/files", stranger), 403, "forbidden")

    assert error["message"] == "The security token included in the request is invalid."


def test_a_signature_for_another_region_is_refused(stack):
    error = json_error(stack.iam_api("GET", "/files", "acme", region="eu-west-1"), 403, "signature_invalid")

    assert "region" in error["message"]


def test_an_access_key_made_inactive_is_refused_at_once(stack, onboard, unique):
    partner = unique("iamuser")
    arn, keys = _iam_user(stack, partner)
    onboard(partner, iam_arn=arn)
    assert send("GET", stack.iam_endpoint + "/files", keys).status_code == 200

    stack.aws("iam").update_access_key(UserName=partner, AccessKeyId=keys.access_key_id, Status="Inactive")

    json_error(send("GET", stack.iam_endpoint + "/files", keys), 403, "forbidden")


def test_a_valid_signer_mapped_to_no_partner_is_an_unknown_partner(stack, unique):
    _, keys = _iam_user(stack, unique("stranger"))

    json_error(send("GET", stack.iam_endpoint + "/files", keys), 403, "unknown_partner")


def test_every_session_of_a_mapped_role_is_its_partner(stack, onboard, unique, upload):
    partner = unique("roleclinic")
    role = stack.aws("iam").create_role(
        RoleName=partner,
        AssumeRolePolicyDocument=json.dumps({"Version": "2012-10-17", "Statement": []}),
    )["Role"]
    onboard(partner, iam_arn=role["Arn"])
    sts = stack.aws("sts")
    files = []
    for session in ("night-run", "day-run"):
        credentials = sts.assume_role(RoleArn=role["Arn"], RoleSessionName=session)["Credentials"]
        keys = Keys(credentials["AccessKeyId"], credentials["SecretAccessKey"], credentials["SessionToken"])
        body = {"filename": f"{session}.csv", "size": 4, "content_type": "text/csv", "sha256": "0" * 64}
        answer = send("POST", stack.iam_endpoint + "/uploads", keys, json_body=body)
        assert answer.status_code == 201, answer.text
        assert f"/uploads/{partner}/" in answer.json()["upload"]["url"]
        files.append(answer.json()["file_id"])

    listed = send("GET", stack.iam_endpoint + "/files", keys).json()["files"]

    assert sorted(f["file_id"] for f in listed) == sorted(files)


def test_a_session_key_without_its_token_is_refused(stack):
    role = stack.aws("iam").create_role(RoleName="tokenless", AssumeRolePolicyDocument="{}")["Role"]
    credentials = stack.aws("sts").assume_role(RoleArn=role["Arn"], RoleSessionName="s1")["Credentials"]

    keys = Keys(credentials["AccessKeyId"], credentials["SecretAccessKey"])  # token left out

    json_error(send("GET", stack.iam_endpoint + "/files", keys), 403, "forbidden")
