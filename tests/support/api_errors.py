"""Checking the API's JSON errors, whoever produced them (a function or the gateway)."""

from __future__ import annotations

from typing import Any

import requests


def json_error(response: requests.Response, status: int, code: str) -> dict[str, Any]:
    """The ``error`` of a response that must be our JSON error with this status and code."""
    assert response.status_code == status, response.text[:300]
    assert response.headers["Content-Type"].startswith("application/json")
    error: dict[str, Any] = response.json()["error"]
    assert error["code"] == code and error["message"] and error["request_id"]
    assert "Traceback" not in response.text
    return error
