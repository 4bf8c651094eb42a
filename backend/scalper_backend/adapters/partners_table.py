"""The partners table: which partner a caller's credential belongs to, and whether it may call.

One item per principal: ``apikey:<API Gateway key id>`` or ``iam:<normalised ARN>``
(see ``partners.py``), holding the partner id and ``enabled``. The handlers never see key
values, only the key id or the caller ARN that API Gateway puts in the request context.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from ..errors import StateConflict
from .errors import AWS_ERRORS, error_code, store_error


@dataclass(frozen=True)
class PrincipalItem:
    principal: str
    partner_id: str
    # Items written before the flag existed have no ``enabled``: they count as enabled.
    enabled: bool = True


class PartnersTable:
    def __init__(self, client: Any, table_name: str) -> None:
        self._client = client
        self._table = table_name

    def get(self, principal: str) -> PrincipalItem | None:
        """The item of a principal, or ``None``. Strongly consistent, so that a partner
        disabled a moment ago is refused at once."""
        try:
            response = self._client.get_item(
                TableName=self._table, Key={"principal": {"S": principal}}, ConsistentRead=True
            )
        except AWS_ERRORS as err:
            raise store_error("GetItem", err) from err
        item = response.get("Item")
        return _item(item) if item else None

    def put_new(self, principal: str, partner_id: str) -> None:
        """Map a new principal to a partner (onboarding).

        Raises:
            StateConflict: the principal is already mapped (to this or another partner);
                a mapping is never silently moved between partners.
        """
        try:
            self._client.put_item(
                TableName=self._table,
                Item={"principal": {"S": principal}, "partner_id": {"S": partner_id}, "enabled": {"BOOL": True}},
                ConditionExpression="attribute_not_exists(principal)",
            )
        except AWS_ERRORS as err:
            if error_code(err) == "ConditionalCheckFailedException":
                raise StateConflict(f"principal {principal} is already mapped to a partner") from err
            raise store_error("PutItem", err) from err

    def set_enabled(self, principal: str, enabled: bool) -> None:
        try:
            self._client.update_item(
                TableName=self._table,
                Key={"principal": {"S": principal}},
                UpdateExpression="SET enabled = :enabled",
                ConditionExpression="attribute_exists(principal)",
                ExpressionAttributeValues={":enabled": {"BOOL": enabled}},
            )
        except AWS_ERRORS as err:
            raise store_error("UpdateItem", err) from err

    def delete(self, principal: str) -> None:
        try:
            self._client.delete_item(TableName=self._table, Key={"principal": {"S": principal}})
        except AWS_ERRORS as err:
            raise store_error("DeleteItem", err) from err

    def scan(self) -> list[PrincipalItem]:
        """Every item. The table holds a few items per partner, so operators' listings scan it."""
        items: list[PrincipalItem] = []
        params: dict[str, Any] = {"TableName": self._table, "ConsistentRead": True}
        while True:
            try:
                page = self._client.scan(**params)
            except AWS_ERRORS as err:
                raise store_error("Scan", err) from err
            items.extend(_item(item) for item in page.get("Items", []))
            if "LastEvaluatedKey" not in page:
                return items
            params["ExclusiveStartKey"] = page["LastEvaluatedKey"]


def _item(item: dict[str, Any]) -> PrincipalItem:
    return PrincipalItem(
        principal=item["principal"]["S"],
        partner_id=item["partner_id"]["S"],
        enabled=item.get("enabled", {}).get("BOOL", True),
    )
