"""Where the client's endpoint and API key come from."""

from __future__ import annotations

import pytest
import responses

from silent_scalper import ApiKeyAuth, Client, ConfigurationError

ENDPOINT = "http://scalper.test/v1"


def test_endpoint_and_api_key_are_read_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SCALPER_ENDPOINT", "http://env.test/v1")
    monkeypatch.setenv("SCALPER_API_KEY", "env-key")

    client = Client()

    assert client.endpoint == "http://env.test/v1"


def test_explicit_endpoint_beats_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SCALPER_ENDPOINT", "http://env.test/v1")

    client = Client("http://explicit.test/v1", "key")

    assert client.endpoint == "http://explicit.test/v1"


def test_explicit_api_key_beats_the_environment(monkeypatch: pytest.MonkeyPatch, api: responses.RequestsMock) -> None:
    monkeypatch.setenv("SCALPER_API_KEY", "env-key")
    api.get(f"{ENDPOINT}/files", json={"files": [], "next_cursor": None})

    Client(ENDPOINT, "explicit-key").files.list_page()

    assert api.calls[0].request.headers["x-api-key"] == "explicit-key"


def test_environment_is_read_when_the_client_is_built_not_at_import(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SCALPER_ENDPOINT", "http://first.test/v1")
    monkeypatch.setenv("SCALPER_API_KEY", "key")
    first = Client()
    monkeypatch.setenv("SCALPER_ENDPOINT", "http://second.test/v1")

    second = Client()

    assert (first.endpoint, second.endpoint) == ("http://first.test/v1", "http://second.test/v1")


def test_trailing_slash_of_the_endpoint_is_stripped() -> None:
    assert Client("http://scalper.test/v1/", "key").endpoint == "http://scalper.test/v1"


def test_missing_endpoint_raises_configuration_error_naming_the_variable() -> None:
    with pytest.raises(ConfigurationError, match="SCALPER_ENDPOINT"):
        Client(api_key="key")


def test_missing_api_key_raises_configuration_error_naming_the_variable() -> None:
    with pytest.raises(ConfigurationError, match="SCALPER_API_KEY"):
        Client(ENDPOINT)


def test_blank_environment_variable_counts_as_missing(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SCALPER_API_KEY", "  ")

    with pytest.raises(ConfigurationError):
        Client(ENDPOINT)


def test_endpoint_that_is_not_an_http_url_is_refused() -> None:
    with pytest.raises(ConfigurationError, match="http"):
        Client("scalper.test/v1", "key")


def test_api_key_and_auth_together_are_refused() -> None:
    with pytest.raises(ConfigurationError, match="not both"):
        Client(ENDPOINT, "key", auth=ApiKeyAuth("other-key"))
