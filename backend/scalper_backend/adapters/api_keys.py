"""API Gateway's API keys and the partners' usage plan (the same calls on AWS and on moto)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from .errors import AWS_ERRORS, store_error


@dataclass(frozen=True)
class IssuedKey:
    key_id: str
    value: str


class ApiKeys:
    """Keys of one usage plan: a key works on the API only while it is enabled and in the plan."""

    def __init__(self, client: Any, usage_plan_id: str) -> None:
        self._client = client
        self._plan = usage_plan_id

    def issue(self, name: str) -> IssuedKey:
        """A new enabled key in the plan; API Gateway generates its value."""
        try:
            key = self._client.create_api_key(name=name, enabled=True)
            self._client.create_usage_plan_key(usagePlanId=self._plan, keyId=key["id"], keyType="API_KEY")
        except AWS_ERRORS as err:
            raise store_error("CreateApiKey", err) from err
        return IssuedKey(key_id=key["id"], value=key["value"])

    def disable(self, key_id: str) -> None:
        try:
            self._client.update_api_key(
                apiKey=key_id, patchOperations=[{"op": "replace", "path": "/enabled", "value": "false"}]
            )
        except AWS_ERRORS as err:
            raise store_error("UpdateApiKey", err) from err

    def revoke(self, key_id: str) -> None:
        """Disable the key and take it out of the plan: refused at once, by both checks."""
        self.disable(key_id)
        try:
            self._client.delete_usage_plan_key(usagePlanId=self._plan, keyId=key_id)
        except AWS_ERRORS as err:
            raise store_error("DeleteUsagePlanKey", err) from err
