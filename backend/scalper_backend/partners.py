"""Who is calling: verified principals to partners.

A principal is what API Gateway verified about the caller, never anything the client
sent: ``apikey:<key id>`` for the API-key API, ``iam:<ARN>`` for the IAM API, where an
assumed-role session ARN stands for its role (whatever the session name) and an IAM user
ARN is kept as it is.
"""

from __future__ import annotations

import re

from .adapters.partners_table import PartnersTable
from .errors import Forbidden, InvalidRequest
from .records import PARTNER_ID_PATTERN

# Names as IAM allows them (the "IAM identifiers" quotas: 64 characters for users and
# roles, 2-64 for role session names); a user may have a path, a role here may not.
_NAME = r"[\w+=,.@-]{1,64}"
_ASSUMED_ROLE = re.compile(
    rf"^arn:(?P<partition>aws[a-z-]*):sts::(?P<account>\d{{12}}):assumed-role/(?P<role>{_NAME})/[\w+=,.@-]{{2,64}}$"
)
_USER = re.compile(rf"^arn:aws[a-z-]*:iam::\d{{12}}:user/(?:[\x21-\x7e]{{1,510}}/)?{_NAME}$")
_ROLE = re.compile(rf"^arn:aws[a-z-]*:iam::\d{{12}}:role/{_NAME}$")
# The partners table's key holds at most 2048 bytes.
_MAX_ARN = 1600


def check_partner_id(partner_id: str) -> str:
    """A partner id is a lowercase slug, because it becomes part of object keys.

    Raises:
        InvalidRequest: it is not.
    """
    if not re.match(PARTNER_ID_PATTERN, partner_id):
        raise InvalidRequest(f"partner id {partner_id!r} must match {PARTNER_ID_PATTERN}")
    return partner_id


def api_key_principal(key_id: str) -> str:
    return f"apikey:{key_id}"


def iam_principal(arn: str) -> str:
    """The principal of a caller ARN as API Gateway reports it in ``userArn``.

    ``arn:aws:sts::<acct>:assumed-role/<role>/<session>`` becomes
    ``iam:arn:aws:iam::<acct>:role/<role>``: every session of the role is the same caller.
    The session ARN carries no role path, so roles with a path cannot be told apart from
    roles without one and are not supported. Any other ARN is kept as it is.
    """
    session = _ASSUMED_ROLE.match(arn)
    if session:
        return f"iam:arn:{session['partition']}:iam::{session['account']}:role/{session['role']}"
    return f"iam:{arn[:_MAX_ARN]}"


def check_iam_principal(arn: str) -> str:
    """Validate an operator's ``--iam-principal`` and return its principal.

    Raises:
        InvalidRequest: not an IAM user ARN, a role ARN without a path, or an assumed-role
            session ARN.
    """
    if not (_USER.match(arn) or _ROLE.match(arn) or _ASSUMED_ROLE.match(arn)) or len(arn) > _MAX_ARN:
        raise InvalidRequest(
            f"{arn!r} is not an IAM user ARN (arn:aws:iam::<account>:user/<name>) or a role ARN without a "
            "path (arn:aws:iam::<account>:role/<name>)"
        )
    return iam_principal(arn)


class PartnerResolver:
    """Maps a verified principal to its partner id.

    No cache: every request reads the principal's item (one strongly consistent GetItem),
    so that a partner disabled or a credential unmapped is refused from the next request.
    """

    def __init__(self, table: PartnersTable) -> None:
        self._table = table

    def partner_for(self, principal: str) -> str:
        """The caller's partner id.

        Raises:
            Forbidden: ``unknown_partner`` when the credential maps to no partner, and
                ``forbidden`` when its partner is disabled.
        """
        item = self._table.get(principal)
        if item is None:
            raise Forbidden("This credential is not linked to a partner.", code="unknown_partner")
        if not item.enabled:
            raise Forbidden("This partner is disabled; ask the operator to enable it.")
        return item.partner_id
