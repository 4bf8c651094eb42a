"""The partners table: which partner a caller's credential belongs to.

Items are keyed by ``principal``: ``apikey:<API Gateway key id>`` today, an IAM principal
ARN when SigV4 auth arrives. The handlers never see key values, only the key id that
API Gateway puts in the request context.
"""

from __future__ import annotations

from typing import Any

from .errors import AWS_ERRORS, store_error


class PartnersTable:
    def __init__(self, client: Any, table_name: str) -> None:
        self._client = client
        self._table = table_name

    def partner_for(self, principal: str) -> str | None:
        """The partner id a principal maps to, or ``None``."""
        try:
            response = self._client.get_item(
                TableName=self._table,
                Key={"principal": {"S": principal}},
            )
        except AWS_ERRORS as err:
            raise store_error("GetItem", err) from err
        item = response.get("Item")
        return item["partner_id"]["S"] if item else None

    def put(self, principal: str, partner_id: str) -> None:
        """Map a principal to a partner (onboarding)."""
        try:
            self._client.put_item(
                TableName=self._table,
                Item={"principal": {"S": principal}, "partner_id": {"S": partner_id}},
            )
        except AWS_ERRORS as err:
            raise store_error("PutItem", err) from err
