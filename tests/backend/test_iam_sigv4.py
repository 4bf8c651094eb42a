"""The local IAM gateway's SigV4 check: what API Gateway accepts and how it refuses the rest.

Requests are signed by botocore as any AWS SDK signs them, then changed after signing.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from urllib.parse import urlsplit

import pytest
from support.signing import Keys, sign

from scalper_backend.local.gateway_responses import Refusal
from scalper_backend.local.iam_identities import SigningIdentity
from scalper_backend.local.iam_sigv4 import ExecuteApiVerifier
from scalper_backend.local.proxy_event import ReceivedRequest

NOW = datetime(2026, 11, 25, 21, 37, 20, tzinfo=UTC)
URL = "http://127.0.0.1:8089/v1/files?state=processed&limit=5"
USER = SigningIdentity(
    "AKIAEXAMPLEUSERKEY01", "user-secret", None, "arn:aws:iam::123456789012:user/partner-acme", "AIDA1"
)
SESSION = SigningIdentity(
    "ASIAEXAMPLESESSION01",
    "session-secret",
    "session-token",
    "arn:aws:sts::123456789012:assumed-role/clinic/night-run",
    "AROA1:night-run",
    expires_at=NOW + timedelta(minutes=15),
)
KEYS = {USER.access_key_id: USER, SESSION.access_key_id: SESSION}


def _verifier(now: datetime = NOW) -> ExecuteApiVerifier:
    return ExecuteApiVerifier("us-east-1", find=KEYS.get, clock=lambda: now)


def _received(url: str, headers: dict[str, str], body: bytes = b"", method: str = "GET") -> ReceivedRequest:
    parts = urlsplit(url)
    return ReceivedRequest(method, parts.path, parts.query, list(headers.items()), body)


def _signed(
    identity: SigningIdentity = USER,
    *,
    method: str = "GET",
    url: str = URL,
    body: bytes = b"",
    at: datetime = NOW,
    **options: str,
) -> tuple[str, dict[str, str], bytes]:
    keys = Keys(identity.access_key_id, identity.secret_key, identity.session_token)
    headers = {"Content-Type": "application/json"} if body else {}
    signed_url, signed_headers = sign(method, url, keys, body=body or None, headers=headers, at=at, **options)
    signed_headers["Host"] = urlsplit(signed_url).netloc
    return signed_url, signed_headers, body


def _refusal(request: ReceivedRequest, verifier: ExecuteApiVerifier | None = None) -> Refusal:
    with pytest.raises(Refusal) as refused:
        (verifier or _verifier()).verify(request)
    return refused.value


def test_a_request_signed_by_botocore_is_accepted_as_its_iam_user():
    url, headers, _ = _signed()

    assert _verifier().verify(_received(url, headers)) == USER


def test_a_signed_post_with_a_body_is_accepted():
    body = json.dumps({"filename": "a.csv", "size": 4}).encode()
    url, headers, body = _signed(method="POST", url="http://127.0.0.1:8089/v1/uploads", body=body)

    assert _verifier().verify(_received(url, headers, body, method="POST")) == USER


def test_a_role_session_is_accepted_with_its_session_token():
    url, headers, _ = _signed(SESSION)

    assert _verifier().verify(_received(url, headers)).user_arn.endswith(":assumed-role/clinic/night-run")


@pytest.mark.parametrize(
    "tamper",
    [
        pytest.param(lambda u, h, b: (u.replace("/files", "/uploads"), h, b), id="path"),
        pytest.param(lambda u, h, b: (u.replace("limit=5", "limit=6"), h, b), id="query value"),
        pytest.param(lambda u, h, b: (u + "&cursor=x", h, b), id="query added"),
        pytest.param(lambda u, h, b: (u, {**h, "Host": "127.0.0.1:9999"}, b), id="host header"),
        pytest.param(lambda u, h, b: (u, {**h, "Content-Type": "text/plain"}, b), id="signed content type"),
        pytest.param(lambda u, h, b: (u, h, b + b" "), id="body"),
        pytest.param(
            lambda u, h, b: (u, {**h, "Authorization": h["Authorization"][:-4] + "0000"}, b), id="signature"
        ),
    ],
)
def test_a_request_changed_after_signing_is_an_invalid_signature(tamper):
    url, headers, body = tamper(*_signed(method="POST", body=b'{"size": 8}'))

    refusal = _refusal(_received(url, headers, body, method="POST"))

    assert refusal.response_type == "INVALID_SIGNATURE"
    assert refusal.message.startswith("The request signature we calculated does not match")


def test_the_method_is_signed_too():
    url, headers, _ = _signed(method="GET")

    assert _refusal(_received(url, headers, method="DELETE")).response_type == "INVALID_SIGNATURE"


def test_an_unsigned_header_may_be_added():
    url, headers, _ = _signed()

    assert _verifier().verify(_received(url, {**headers, "X-Forwarded-For": "10.0.0.1"})) == USER


def test_a_wrong_secret_is_an_invalid_signature():
    forged = SigningIdentity(USER.access_key_id, "not-the-secret", None, USER.user_arn, USER.caller)
    url, headers, _ = _signed(forged)

    assert _refusal(_received(url, headers)).response_type == "INVALID_SIGNATURE"


def test_an_unknown_access_key_is_access_denied():
    stranger = SigningIdentity("AKIAUNKNOWNKEY000000", "secret", None, "arn", "x")
    url, headers, _ = _signed(stranger)

    refusal = _refusal(_received(url, headers))

    assert (refusal.response_type, refusal.message) == (
        "ACCESS_DENIED",
        "The security token included in the request is invalid.",
    )


@pytest.mark.parametrize("token", [None, "another-token"])
def test_a_session_key_without_its_own_token_is_access_denied(token):
    url, headers, _ = _signed(SESSION)
    headers = {k: v for k, v in headers.items() if k != "X-Amz-Security-Token"}
    if token:
        headers["X-Amz-Security-Token"] = token

    assert _refusal(_received(url, headers)).response_type == "ACCESS_DENIED"


def test_expired_temporary_credentials_are_an_expired_token():
    expiry = SESSION.expires_at
    assert expiry is not None
    url, headers, _ = _signed(SESSION, at=expiry)

    assert _refusal(_received(url, headers), _verifier(expiry)).response_type == "EXPIRED_TOKEN"


@pytest.mark.parametrize(
    ("skew", "message"),
    [
        (timedelta(minutes=5, seconds=1), "Signature expired: 20261125T213720Z is now earlier than"),
        (-timedelta(minutes=5, seconds=1), "Signature not yet current: 20261125T213720Z is still later than"),
    ],
)
def test_a_date_more_than_five_minutes_from_the_gateway_clock_is_refused(skew, message):
    url, headers, _ = _signed()

    refusal = _refusal(_received(url, headers), _verifier(NOW + skew))

    assert refusal.response_type == "INVALID_SIGNATURE"
    assert refusal.message.startswith(message)


@pytest.mark.parametrize("skew", [timedelta(minutes=5), -timedelta(minutes=5)])
def test_a_date_within_five_minutes_is_accepted(skew):
    url, headers, _ = _signed()

    assert _verifier(NOW + skew).verify(_received(url, headers)) == USER


def test_a_request_without_authorization_is_a_missing_authentication_token():
    refusal = _refusal(_received(URL, {"Host": "127.0.0.1:8089"}))

    assert (refusal.response_type, refusal.message) == ("MISSING_AUTHENTICATION_TOKEN", "Missing Authentication Token")


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"region": "eu-west-1"}, "Credential should be scoped to a valid region, not 'eu-west-1'."),
        ({"service": "s3"}, "Credential should be scoped to correct service: 'execute-api'."),
    ],
)
def test_a_signature_for_another_region_or_service_is_refused(options, message):
    url, headers, _ = _signed(**options)

    refusal = _refusal(_received(url, headers))

    assert (refusal.response_type, refusal.message) == ("INVALID_SIGNATURE", message)


@pytest.mark.parametrize(
    "authorization",
    ["Bearer abc", "AWS4-HMAC-SHA256 Credential=AKIAEXAMPLEUSERKEY01/20261125/us-east-1/execute-api/aws4_request"],
)
def test_a_malformed_authorization_header_is_an_invalid_signature(authorization):
    url, headers, _ = _signed()

    refusal = _refusal(_received(url, {**headers, "Authorization": authorization}))

    assert refusal.response_type == "INVALID_SIGNATURE"
    assert "Authorization header requires" in refusal.message


def test_a_date_header_other_than_the_scope_date_is_refused():
    url, headers, _ = _signed()

    refusal = _refusal(_received(url, {**headers, "X-Amz-Date": "20261124T213720Z"}))

    assert refusal.message.startswith("Date in Credential scope does not match")


def test_a_declared_payload_hash_other_than_the_body_is_refused():
    url, headers, body = _signed(method="POST", body=b'{"size": 8}')
    headers["X-Amz-Content-SHA256"] = "UNSIGNED-PAYLOAD"

    assert _refusal(_received(url, headers, body, method="POST")).response_type == "INVALID_SIGNATURE"
