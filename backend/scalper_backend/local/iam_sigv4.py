"""SigV4 verification for the IAM API, as API Gateway does it for an ``AWS_IAM`` method.

The signature is recomputed with botocore's own signer (``botocore.auth.SigV4Auth``, see
``sigv4``) over the request as received, with the secret of the access key it names and
the request's own ``X-Amz-Date``, then compared in constant time.

What is refused, and how (AWS knowledge center "How do I troubleshoot HTTP 403 errors from
API Gateway?" for the messages and x-amzn-ErrorType; "Troubleshoot signed requests" in
the IAM guide for the scope and clock messages; every case is a 403):

- no ``Authorization`` header: ``MISSING_AUTHENTICATION_TOKEN`` ("Missing Authentication
  Token");
- a malformed header, a wrong scope, an ``X-Amz-Date`` more than 5 minutes from the
  gateway's clock either way ("Signature expired" / "Signature not yet current"), or a
  signature that does not match: ``INVALID_SIGNATURE`` (InvalidSignatureException);
- an unknown or inactive access key, or a session token that is not the key's:
  ``ACCESS_DENIED`` ("The security token included in the request is invalid.");
- temporary credentials past their expiry: ``EXPIRED_TOKEN``.

Only header-signed requests are accepted locally (API Gateway also takes SigV4 in the query
string); a request signed that way is answered as unsigned.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

from botocore.auth import SigV4Auth
from botocore.credentials import Credentials

from .gateway_responses import Refusal
from .iam_identities import SigningIdentity
from .proxy_event import Caller, ReceivedRequest
from .sigv4 import recompute
from .template import ACCOUNT_ID

SERVICE = "execute-api"
# How far X-Amz-Date may be from the gateway's clock, either way.
CLOCK_WINDOW = timedelta(minutes=5)
_ALGORITHM = "AWS4-HMAC-SHA256"
_AMZ_DATE = "%Y%m%dT%H%M%SZ"
_REQUIRED = ("Credential", "SignedHeaders", "Signature")
_NEEDS_DATE = "Authorization header requires existence of either a 'X-Amz-Date' or a 'Date' header."
_INVALID_TOKEN = "The security token included in the request is invalid."  # noqa: S105  # nosec B105 - a message


class ExecuteApiVerifier:
    """Authenticates SigV4-signed requests to the IAM API."""

    def __init__(
        self,
        region: str,
        find: Callable[[str], SigningIdentity | None],
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self._region = region
        self._find = find
        self._clock = clock

    def authenticate(self, request: ReceivedRequest) -> Caller:
        """The caller as API Gateway reports an IAM-authorised one in ``requestContext.identity``.

        ``caller`` and ``user`` are the principal's unique id (``<role id>:<session>`` for a
        role session) and ``userArn`` its ARN (the mapping template reference's
        ``$context.identity.*``). The IAM API has no usage plan: only its method throttle applies.
        """
        identity = self.verify(request)
        return Caller(
            identity={
                "accountId": ACCOUNT_ID,
                "caller": identity.caller,
                "user": identity.caller,
                "userArn": identity.user_arn,
                "accessKey": identity.access_key_id,
            }
        )

    def verify(self, request: ReceivedRequest) -> SigningIdentity:
        """The identity whose key signed ``request``.

        Raises:
            Refusal: as API Gateway refuses it (see the module docstring).
        """
        authorization = request.header("authorization")
        if not authorization:
            raise Refusal("MISSING_AUTHENTICATION_TOKEN")
        params = _auth_params(authorization)
        access_key_id, scope_date = self._check_scope(params["Credential"])
        amz_date = self._check_date(request.header("x-amz-date"), scope_date)
        signed = params["SignedHeaders"].split(";")
        if "host" not in signed:
            raise Refusal(
                "INVALID_SIGNATURE", "'Host' or ':authority' must be a 'SignedHeader' in the AWS Authorization."
            )
        identity = self._find(access_key_id)
        token = request.header("x-amz-security-token")
        if identity is None or not _same(token, identity.session_token):
            raise Refusal("ACCESS_DENIED", _INVALID_TOKEN)
        if identity.expired(self._clock()):
            raise Refusal("EXPIRED_TOKEN")
        declared_hash = request.header("x-amz-content-sha256")
        if declared_hash is not None and declared_hash != hashlib.sha256(request.body).hexdigest():
            raise Refusal("INVALID_SIGNATURE")  # API Gateway always signs the real payload
        signer = SigV4Auth(
            Credentials(identity.access_key_id, identity.secret_key, identity.session_token), SERVICE, self._region
        )
        query = f"?{request.raw_query}" if request.raw_query else ""
        recomputed = recompute(
            signer,
            method=request.method,
            url=f"http://{request.header('host') or 'localhost'}{request.raw_path}{query}",
            headers=request.headers,
            signed=signed,
            timestamp=amz_date,
            data=request.body,
        )
        if not recomputed.matches(params["Signature"]):
            raise Refusal("INVALID_SIGNATURE")
        return identity

    def _check_scope(self, credential: str) -> tuple[str, str]:
        access_key_id, _, scope = credential.partition("/")
        date, region, service, terminator = ([*scope.split("/"), "", "", "", ""])[:4]
        if terminator != "aws4_request":
            raise Refusal(
                "INVALID_SIGNATURE",
                f"Credential should be scoped with a valid terminator: 'aws4_request', not '{terminator}'.",
            )
        if service != SERVICE:
            raise Refusal("INVALID_SIGNATURE", f"Credential should be scoped to correct service: '{SERVICE}'.")
        if region != self._region:
            raise Refusal("INVALID_SIGNATURE", f"Credential should be scoped to a valid region, not '{region}'.")
        return access_key_id, date

    def _check_date(self, header: str | None, scope_date: str) -> str:
        amz_date = header or ""
        try:
            moment = datetime.strptime(amz_date, _AMZ_DATE).replace(tzinfo=UTC)
        except ValueError:
            raise Refusal("INVALID_SIGNATURE", _NEEDS_DATE) from None
        if scope_date != amz_date[:8]:
            raise Refusal(
                "INVALID_SIGNATURE",
                "Date in Credential scope does not match YYYYMMDD from ISO-8601 version of date from HTTP: "
                f"'{scope_date}' != '{amz_date[:8]}', from '{amz_date}'.",
            )
        now = self._clock()
        stamp = now.strftime(_AMZ_DATE)
        if moment < now - CLOCK_WINDOW:
            earliest = (now - CLOCK_WINDOW).strftime(_AMZ_DATE)
            raise Refusal(
                "INVALID_SIGNATURE", f"Signature expired: {amz_date} is now earlier than {earliest} ({stamp} - 5 min.)"
            )
        if moment > now + CLOCK_WINDOW:
            latest = (now + CLOCK_WINDOW).strftime(_AMZ_DATE)
            message = f"Signature not yet current: {amz_date} is still later than {latest} ({stamp} + 5 min.)"
            raise Refusal("INVALID_SIGNATURE", message)
        return amz_date


def _auth_params(authorization: str) -> dict[str, str]:
    algorithm, _, rest = authorization.strip().partition(" ")
    params = dict((name.strip(), value.strip()) for name, _, value in (part.partition("=") for part in rest.split(",")))
    missing = [name for name in _REQUIRED if not params.get(name)]
    if algorithm != _ALGORITHM or missing:
        raise Refusal(
            "INVALID_SIGNATURE",
            " ".join(f"Authorization header requires '{name}' parameter." for name in missing or _REQUIRED)
            + f" {_NEEDS_DATE}",
        )
    return params


def _same(sent: str | None, expected: str | None) -> bool:
    if sent is None or expected is None:
        return sent is expected
    return hmac.compare_digest(sent.encode(), expected.encode())
