"""IAM auth: requests signed with SigV4 that botocore's own signer would produce, from the standard chain."""

from __future__ import annotations

import json
import sys
from datetime import UTC, datetime
from urllib.parse import parse_qsl, quote, urlencode, urlsplit, urlunsplit

import pytest
import responses
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials

from silent_scalper import Client, ConfigurationError
from silent_scalper._config import resolve_region

IAM_ENDPOINT = "http://127.0.0.1:8089/v1"
AWS_ENDPOINT = "https://a1b2c3d4e5.execute-api.eu-west-2.amazonaws.com/v1"
PAGE = {"files": [], "next_cursor": None}


@pytest.fixture(autouse=True)
def credentials(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "AKIDEXAMPLE")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY")


def botocore_signature(request: responses.Call, region: str, token: str | None = None) -> str:
    """Sign the recorded request again with botocore, as API Gateway checks it.

    API Gateway decodes the query parameters and canonicalises them again (RFC 3986,
    sorted); botocore signs the query as written, so the URL is rebuilt that way first.
    """
    prepared = request.request
    amz_date = prepared.headers["x-amz-date"]
    parts = urlsplit(prepared.url)
    decoded = sorted(parse_qsl(parts.query, keep_blank_values=True))
    canonical_url = urlunsplit(parts._replace(query=urlencode(decoded, quote_via=quote, safe="-_.~")))
    aws_request = AWSRequest(
        method=prepared.method,
        url=canonical_url,
        data=prepared.body or b"",
        headers={"host": prepared.url.split("/")[2], "x-amz-date": amz_date}
        | ({"x-amz-security-token": token} if token else {}),
    )
    credentials = Credentials("AKIDEXAMPLE", "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY", token)
    signer = SigV4Auth(credentials, "execute-api", region)
    aws_request.context["timestamp"] = amz_date
    canonical = signer.canonical_request(aws_request)
    string_to_sign = signer.string_to_sign(aws_request, canonical)
    return signer.signature(string_to_sign, aws_request)


def signature_of(request: responses.Call) -> str:
    return request.request.headers["Authorization"].rsplit("Signature=", 1)[1]


def test_get_with_a_query_is_signed_as_botocore_signs_it(api: responses.RequestsMock) -> None:
    api.get(f"{IAM_ENDPOINT}/files", json=PAGE)
    api.get(f"{IAM_ENDPOINT}/files", json=PAGE)

    with Client(IAM_ENDPOINT, auth="iam") as client:
        client.files.get_many(["f_b", "f_a"])
        client.files.list_page(q="scan report+1", limit=5, created_after=datetime(2026, 1, 1, tzinfo=UTC))

    assert signature_of(api.calls[1]) == botocore_signature(api.calls[1], "us-east-1")
    call = api.calls[0]
    authorization = call.request.headers["Authorization"]
    assert authorization.startswith("AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/")
    assert "/us-east-1/execute-api/aws4_request" in authorization
    assert "x-api-key" not in call.request.headers
    assert signature_of(call) == botocore_signature(call, "us-east-1")


def test_post_with_a_json_body_is_signed_over_the_exact_body(api: responses.RequestsMock) -> None:
    duplicate = {"file_id": "f_1", "duplicate_of": "f_1", "state": "processed"}
    api.post(f"{IAM_ENDPOINT}/uploads", status=201, json=duplicate)
    api.get(f"{IAM_ENDPOINT}/files/f_1", json={
        "file_id": "f_1", "state": "processed", "filename": "a.csv", "size": 4, "content_type": "text/csv",
        "sha256": "0" * 64, "created_at": "2026-01-01T00:00:00Z", "updated_at": "2026-01-01T00:00:00Z",
    })

    with Client(IAM_ENDPOINT, auth="iam") as client:
        client.upload(b"a\n1\n", filename="a.csv", metadata={"clinic": "north side"})

    post = api.calls[0]
    assert json.loads(post.request.body)["metadata"] == {"clinic": "north side"}
    assert signature_of(post) == botocore_signature(post, "us-east-1")


def test_a_session_token_is_sent_and_signed(api: responses.RequestsMock, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AWS_SESSION_TOKEN", "FwoGZXIvYXdzEXAMPLETOKEN")
    api.get(f"{AWS_ENDPOINT}/files", json=PAGE)

    with Client(AWS_ENDPOINT, auth="iam") as client:
        client.files.list_page(limit=1)

    call = api.calls[0]
    assert call.request.headers["X-Amz-Security-Token"] == "FwoGZXIvYXdzEXAMPLETOKEN"
    assert "SignedHeaders=host;x-amz-date;x-amz-security-token" in call.request.headers["Authorization"]
    assert signature_of(call) == botocore_signature(call, "eu-west-2", token="FwoGZXIvYXdzEXAMPLETOKEN")


def test_scalper_auth_iam_picks_the_iam_endpoint_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SCALPER_AUTH", "iam")
    monkeypatch.setenv("SCALPER_ENDPOINT", "http://127.0.0.1:8088/v1")
    monkeypatch.setenv("SCALPER_IAM_ENDPOINT", IAM_ENDPOINT)

    with Client() as client:
        assert client.endpoint == IAM_ENDPOINT
        assert "SigV4Auth" in repr(client)


def test_nothing_secret_is_in_the_repr() -> None:
    with Client(IAM_ENDPOINT, auth="iam") as client:
        assert "wJalr" not in repr(client) and "AKIDEXAMPLE" not in repr(client)


def test_without_the_extra_the_error_names_it(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "aws_requests_auth.boto_utils", None)
    monkeypatch.delitem(sys.modules, "silent_scalper._sigv4", raising=False)

    with pytest.raises(ConfigurationError, match=r"pip install 'silent-scalper\[iam\]'"):
        Client(IAM_ENDPOINT, auth="iam")


def test_without_credentials_the_error_says_where_they_come_from(
    monkeypatch: pytest.MonkeyPatch, tmp_path: object
) -> None:
    for name in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"):
        monkeypatch.delenv(name)
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", "/nonexistent/credentials")
    monkeypatch.setenv("AWS_CONFIG_FILE", "/nonexistent/config")
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")

    with pytest.raises(ConfigurationError, match=r"no AWS credentials found.*SCALPER_AWS_ACCESS_KEY_ID_"):
        Client(IAM_ENDPOINT, auth="iam")


def test_an_api_key_with_iam_is_refused() -> None:
    with pytest.raises(ConfigurationError, match="api_key is not used with auth='iam'"):
        Client(IAM_ENDPOINT, "key", auth="iam")


def test_an_unknown_auth_mode_is_refused() -> None:
    with pytest.raises(ConfigurationError, match="auth must be one of api_key, iam"):
        Client(IAM_ENDPOINT, "key", auth="kerberos")


@pytest.mark.parametrize(
    ("explicit", "endpoint", "env", "region"),
    [
        (None, AWS_ENDPOINT, {}, "eu-west-2"),
        (None, "https://abc.execute-api.cn-north-1.amazonaws.com.cn/v1", {}, "cn-north-1"),
        (None, "http://127.0.0.1:8089/v1", {"AWS_REGION": "eu-central-1"}, "us-east-1"),
        (None, "https://api.clinic.example/v1", {"AWS_REGION": "eu-central-1"}, "eu-central-1"),
        (None, "https://api.clinic.example/v1", {"AWS_DEFAULT_REGION": "ap-south-1"}, "ap-south-1"),
        ("sa-east-1", AWS_ENDPOINT, {}, "sa-east-1"),
    ],
)
def test_region_comes_from_the_argument_the_host_or_the_environment(
    explicit: str | None, endpoint: str, env: dict[str, str], region: str
) -> None:
    assert resolve_region(explicit, endpoint, env) == region


def test_no_region_at_all_says_how_to_give_one() -> None:
    with pytest.raises(ConfigurationError, match=r"pass region=\.\.\. or set AWS_REGION"):
        resolve_region(None, "https://api.clinic.example/v1", {})


def test_signature_date_is_current() -> None:
    from silent_scalper._sigv4 import SigV4Auth as Signer

    signer = Signer("127.0.0.1:8089", "us-east-1", "execute-api")
    import requests

    prepared = requests.Request("GET", f"{IAM_ENDPOINT}/files").prepare()
    signer(prepared)
    stamp = datetime.strptime(prepared.headers["x-amz-date"], "%Y%m%dT%H%M%SZ")
    assert abs((datetime.utcnow() - stamp).total_seconds()) < 60
