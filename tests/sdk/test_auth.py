"""Authentication: the API key goes to the API, and nowhere else."""

from __future__ import annotations

from typing import Any

import pytest
import requests
import responses
from requests.auth import AuthBase

from silent_scalper import ApiKeyAuth, Client, ConfigurationError

ENDPOINT = "http://scalper.test/v1"
PAGE: dict[str, Any] = {"files": [], "next_cursor": None}


def test_api_key_is_sent_in_the_x_api_key_header(client: Client, api: responses.RequestsMock) -> None:
    api.get(f"{ENDPOINT}/files", json=PAGE)

    client.files.list_page()

    assert api.calls[0].request.headers["x-api-key"] == "sk-test-0123456789"


def test_repr_of_api_key_auth_masks_the_key() -> None:
    assert "secret" not in repr(ApiKeyAuth("secret"))


def test_repr_of_client_does_not_contain_the_key() -> None:
    with Client(ENDPOINT, "secret") as client:
        assert "secret" not in repr(client)
        assert ENDPOINT in repr(client)


def test_empty_api_key_is_refused() -> None:
    with pytest.raises(ConfigurationError):
        ApiKeyAuth("")


def test_another_auth_object_replaces_the_api_key(api: responses.RequestsMock) -> None:
    class BearerAuth(AuthBase):
        def __call__(self, request: requests.PreparedRequest) -> requests.PreparedRequest:
            request.headers["Authorization"] = "Bearer token"
            return request

    api.get(f"{ENDPOINT}/files", json=PAGE)

    Client(ENDPOINT, auth=BearerAuth()).files.list_page()

    headers = api.calls[0].request.headers
    assert headers["Authorization"] == "Bearer token"
    assert "x-api-key" not in headers
