"""API keys and the usage plan, kept in moto's API Gateway as they are in the real one."""

from __future__ import annotations

import secrets
import threading
from typing import Any

from ..adapters.partners_table import PartnersTable
from ..partners import check_partner_id


class ApiKeys:
    """Creates partner keys and answers which key id a presented key value is."""

    def __init__(self, apigateway: Any, partners: PartnersTable, usage_plan_name: str) -> None:
        self._apigateway = apigateway
        self._partners = partners
        self._plan_id: str = apigateway.create_usage_plan(name=usage_plan_name)["id"]
        self._by_value: dict[str, str] = {}
        self._lock = threading.Lock()

    def create_partner(self, partner_id: str) -> str:
        """Onboard a partner: a new API key in the usage plan, mapped to the partner.

        Returns:
            The API key value, to hand to the partner.
        """
        check_partner_id(partner_id)
        value = secrets.token_urlsafe(30)
        key = self._apigateway.create_api_key(name=f"partner-{partner_id}", enabled=True, value=value)
        self._apigateway.create_usage_plan_key(usagePlanId=self._plan_id, keyId=key["id"], keyType="API_KEY")
        self._partners.put(f"apikey:{key['id']}", partner_id)
        with self._lock:
            self._by_value[value] = key["id"]
        return value

    def key_id(self, value: str | None) -> str | None:
        """The id of an enabled key in the usage plan with this value, else ``None``."""
        if not value:
            return None
        with self._lock:
            cached = self._by_value.get(value)
        if cached:
            return cached
        return self._refresh(value)

    def _refresh(self, value: str) -> str | None:
        # Keys may be created or disabled in moto by someone else (an operator, a test).
        in_plan = {k["id"] for k in self._apigateway.get_usage_plan_keys(usagePlanId=self._plan_id)["items"]}
        keys = self._apigateway.get_api_keys(includeValues=True)["items"]
        live = {k["value"]: k["id"] for k in keys if k.get("enabled") and k["id"] in in_plan}
        with self._lock:
            self._by_value = live
        return live.get(value)
