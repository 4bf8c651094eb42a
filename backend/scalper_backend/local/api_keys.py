"""The API-key check, against the keys and usage plans kept in moto's API Gateway.

As on AWS, a key works only while it exists, is enabled and belongs to a usage plan, and
that is looked up on every request: disabling a key or taking it out of the plan refuses
it from the next request. Only the value-to-id mapping is remembered, because API Gateway
never changes the value of a key (a deleted key fails the lookup and is forgotten).
"""

from __future__ import annotations

import threading
from typing import Any

from botocore.exceptions import ClientError

from .gateway_responses import Refusal
from .proxy_event import Caller, ReceivedRequest
from .template import Throttle


class ApiKeyAuthenticator:
    def __init__(self, apigateway: Any) -> None:
        self._apigateway = apigateway
        self._ids: dict[str, str] = {}
        self._lock = threading.Lock()

    def authenticate(self, request: ReceivedRequest) -> Caller:
        """The caller of a request, from the key in its ``x-api-key`` header.

        Raises:
            Refusal: ``INVALID_API_KEY``, as API Gateway answers a missing, unknown,
                disabled or plan-less key.
        """
        api_key = request.header("x-api-key")
        key_id = self._id_of(api_key) if api_key else None
        if key_id is None or not self._enabled(key_id):
            raise Refusal("INVALID_API_KEY")
        plans = self._apigateway.get_usage_plans(keyId=key_id)["items"]
        if not plans:
            raise Refusal("INVALID_API_KEY")
        limits = plans[0].get("throttle") or {}
        throttle = (
            Throttle(burst=int(limits["burstLimit"]), rate=float(limits["rateLimit"]))
            if "burstLimit" in limits and "rateLimit" in limits
            else None
        )
        identity: dict[str, str | None] = {"apiKey": api_key, "apiKeyId": key_id}
        return Caller(identity=identity, throttle_name=f"key:{key_id}", throttle=throttle)

    def _enabled(self, key_id: str) -> bool:
        try:
            return bool(self._apigateway.get_api_key(apiKey=key_id)["enabled"])
        except ClientError:  # deleted since we learnt its id
            with self._lock:
                self._ids = {value: known for value, known in self._ids.items() if known != key_id}
            return False

    def _id_of(self, value: str) -> str | None:
        with self._lock:
            known = self._ids.get(value)
        if known:
            return known
        keys = self._apigateway.get_api_keys(includeValues=True)["items"]
        with self._lock:
            self._ids = {key["value"]: key["id"] for key in keys}
            return self._ids.get(value)
