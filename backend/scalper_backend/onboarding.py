"""Partner onboarding: create, list, disable a partner and rotate its API key.

A partner is the set of its principals in the partners table (an API key, and for IAM
partners their IAM principal), plus its keys in the usage plan. The same functions serve
``scalper admin`` against AWS and the local stack, which onboards its partners with them.
"""

from __future__ import annotations

from dataclasses import dataclass

from .adapters.api_keys import ApiKeys
from .adapters.partners_table import PartnersTable, PrincipalItem
from .errors import InvalidRequest, StateConflict
from .partners import api_key_principal, check_iam_principal, check_partner_id

_API_KEY = "apikey:"


@dataclass(frozen=True)
class Partner:
    partner_id: str
    enabled: bool
    principals: tuple[str, ...]


@dataclass(frozen=True)
class NewKey:
    """What to hand to the partner: the API key's value (shown once) and its id."""

    partner_id: str
    api_key: str
    api_key_id: str


def create_partner(partner_id: str, *, keys: ApiKeys, table: PartnersTable, iam_arn: str | None = None) -> NewKey:
    """Onboard a partner: an API key in the usage plan and, for IAM partners, their principal.

    Raises:
        InvalidRequest: a bad partner id or IAM ARN, a partner that already exists, or an
            IAM principal that already belongs to a partner.
    """
    check_partner_id(partner_id)
    iam = check_iam_principal(iam_arn) if iam_arn else None
    if _items(table, partner_id):
        raise InvalidRequest(f"partner {partner_id!r} already exists; use rotate-key for a new key")
    if iam:
        try:
            table.put_new(iam, partner_id)  # first: it is the one that can conflict
        except StateConflict as err:
            raise InvalidRequest(f"{iam_arn} already belongs to a partner") from err
    return _new_key(partner_id, keys, table)


def list_partners(table: PartnersTable) -> list[Partner]:
    """Every partner, by id; a partner is enabled when all its principals are."""
    by_partner: dict[str, list[tuple[str, bool]]] = {}
    for item in table.scan():
        by_partner.setdefault(item.partner_id, []).append((item.principal, item.enabled))
    return [
        Partner(partner_id, all(enabled for _, enabled in items), tuple(sorted(p for p, _ in items)))
        for partner_id, items in sorted(by_partner.items())
    ]


def disable_partner(partner_id: str, *, keys: ApiKeys, table: PartnersTable) -> Partner:
    """Refuse the partner from the next request: its keys are disabled at the gateway and
    every principal is marked disabled, which the handlers check on each request.

    Raises:
        InvalidRequest: ``partner_not_found``.
    """
    principals = [item.principal for item in _existing(table, partner_id)]
    for principal in principals:
        table.set_enabled(principal, False)
        if principal.startswith(_API_KEY):
            keys.disable(principal.removeprefix(_API_KEY))
    return Partner(partner_id, False, tuple(sorted(principals)))


def rotate_key(partner_id: str, *, keys: ApiKeys, table: PartnersTable) -> NewKey:
    """Issue a new API key and revoke the partner's old ones (refused from the next request).

    Raises:
        InvalidRequest: ``partner_not_found``, or the partner is disabled (a new key would
            not work).
    """
    items = _existing(table, partner_id)
    if not all(item.enabled for item in items):
        raise InvalidRequest(f"partner {partner_id!r} is disabled")
    new = _new_key(partner_id, keys, table)
    for item in items:
        if item.principal.startswith(_API_KEY):
            keys.revoke(item.principal.removeprefix(_API_KEY))
            table.delete(item.principal)
    return new


def _new_key(partner_id: str, keys: ApiKeys, table: PartnersTable) -> NewKey:
    issued = keys.issue(f"partner-{partner_id}")
    table.put_new(api_key_principal(issued.key_id), partner_id)
    return NewKey(partner_id=partner_id, api_key=issued.value, api_key_id=issued.key_id)


def _items(table: PartnersTable, partner_id: str) -> list[PrincipalItem]:
    return [item for item in table.scan() if item.partner_id == partner_id]


def _existing(table: PartnersTable, partner_id: str) -> list[PrincipalItem]:
    items = _items(table, partner_id)
    if not items:
        raise InvalidRequest(f"no partner {partner_id!r}", code="partner_not_found")
    return items
