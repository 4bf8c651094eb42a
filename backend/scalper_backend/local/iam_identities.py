"""The local stack's IAM identities: moto's IAM users and STS role sessions.

The gateway verifies a SigV4 signature with the secret of the access key it names, which
only the credential store knows (AWS never returns a secret after creating it). Locally
that store is moto's IAM and STS: create users and keys, or assume roles, with any AWS
tool against ``SCALPER_AWS_ENDPOINT``, and sign with what they return. ``find_identity``
is the one place that reads moto's state for it, in the moto process; the gateway asks
that process (``credential_store.py``).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from typing import Any

from .template import ACCOUNT_ID, PARTITION


@dataclass(frozen=True)
class SigningIdentity:
    """An access key with its secret and who it belongs to, as API Gateway reports a caller.

    ``user_arn`` is ``arn:aws:iam::<account>:user/<name>`` for a user's key and
    ``arn:aws:sts::<account>:assumed-role/<role>/<session>`` for a role session's; ``caller``
    is the principal's unique id (``<role id>:<session>`` for a session).
    """

    access_key_id: str
    secret_key: str
    session_token: str | None
    user_arn: str
    caller: str
    expires_at: datetime | None = None

    def expired(self, now: datetime) -> bool:
        return self.expires_at is not None and now >= self.expires_at

    def to_json(self) -> dict[str, Any]:
        fields = asdict(self)
        fields["expires_at"] = self.expires_at.isoformat() if self.expires_at else None
        return fields

    @classmethod
    def from_json(cls, fields: dict[str, Any]) -> SigningIdentity:
        expires_at = fields.get("expires_at")
        return cls(**{**fields, "expires_at": datetime.fromisoformat(expires_at) if expires_at else None})


def find_identity(access_key_id: str) -> SigningIdentity | None:
    """The active access key with this id, or ``None`` (unknown, or made inactive).
    Only in the process that runs moto: it reads moto's state."""
    return _user_key(access_key_id) or _role_session(access_key_id)


def _user_key(access_key_id: str) -> SigningIdentity | None:
    from moto.iam.models import iam_backends

    iam = iam_backends[ACCOUNT_ID][PARTITION]
    user: Any = iam.get_user_from_access_key_id(access_key_id)
    if user is None:
        return None
    key = next(k for k in user.access_keys if k.access_key_id == access_key_id)
    if key.status != "Active":
        return None
    return SigningIdentity(access_key_id, key.secret_access_key, None, user.arn, user.id)


def _role_session(access_key_id: str) -> SigningIdentity | None:
    from moto.sts.models import sts_backends

    for session in sts_backends[ACCOUNT_ID][PARTITION].assumed_roles:
        if session.access_key_id == access_key_id:
            return SigningIdentity(
                access_key_id,
                session.secret_access_key,
                session.session_token,
                session.arn,
                session.user_id,
                expires_at=session.expiration.replace(tzinfo=UTC),
            )
    return None
