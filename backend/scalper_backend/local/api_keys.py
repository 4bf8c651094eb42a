"""The API-key check, against the keys and usage plans kept in moto's API Gateway.

As on AWS, a key works only while it exists, is enabled and belongs to a usage plan, and
that is looked up on every request: disabling a key or taking it out of the plan refuses
it from the next request. ``find_key`` reads it from moto's state in the process that
runs moto (``moto_service.py`` serves it to the gateway in one loopback request, where two
API Gateway calls through boto3 cost the stack a fifth of its time per file).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from .gateway_responses import Refusal
from .proxy_event import Caller, ReceivedRequest
from .template import ACCOUNT_ID, Throttle


@dataclass(frozen=True)
class KeyState:
    """What API Gateway knows of a key: its id, whether it is enabled, and the throttle of
    the first usage plan that holds it (``planned`` is False when none does)."""

    key_id: str
    enabled: bool
    planned: bool
    throttle: Throttle | None = None

    def to_json(self) -> dict[str, Any]:
        throttle = {"burst": self.throttle.burst, "rate": self.throttle.rate} if self.throttle else None
        return {"key_id": self.key_id, "enabled": self.enabled, "planned": self.planned, "throttle": throttle}

    @classmethod
    def from_json(cls, fields: dict[str, Any]) -> KeyState:
        throttle = fields.get("throttle")
        return cls(
            fields["key_id"],
            fields["enabled"],
            fields["planned"],
            Throttle(int(throttle["burst"]), float(throttle["rate"])) if throttle else None,
        )


def find_key(value: str, region: str) -> KeyState | None:
    """The key with this value in moto's API Gateway, or ``None``. Only in the process
    that runs moto: it reads moto's state."""
    from moto.apigateway.models import apigateway_backends

    backend = apigateway_backends[ACCOUNT_ID][region]
    key = next((k for k in list(backend.keys.values()) if k.value == value), None)
    if key is None:
        return None
    plans = backend.get_usage_plans(api_key_id=key.id)
    limits = plans[0].throttle if plans else {}
    throttle = (
        Throttle(burst=int(limits["burstLimit"]), rate=float(limits["rateLimit"]))
        if "burstLimit" in limits and "rateLimit" in limits
        else None
    )
    return KeyState(key.id, bool(key.enabled), bool(plans), throttle)


class ApiKeyAuthenticator:
    """Authenticates requests to the API-key API.

    Args:
        find: the state of the key with a value (``CredentialStore.api_key`` in the stack).
    """

    def __init__(self, find: Callable[[str], KeyState | None]) -> None:
        self._find = find

    def authenticate(self, request: ReceivedRequest) -> Caller:
        """The caller of a request, from the key in its ``x-api-key`` header.

        Raises:
            Refusal: ``INVALID_API_KEY``, as API Gateway answers a missing, unknown,
                disabled or plan-less key.
        """
        api_key = request.header("x-api-key")
        key = self._find(api_key) if api_key else None
        if key is None or not key.enabled or not key.planned:
            raise Refusal("INVALID_API_KEY")
        identity: dict[str, str | None] = {"apiKey": api_key, "apiKeyId": key.key_id}
        return Caller(identity=identity, throttle_name=f"key:{key.key_id}", throttle=key.throttle)
