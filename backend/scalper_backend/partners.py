"""Who is calling: principals to partners, with a short cache per warm function."""

from __future__ import annotations

import re
import time
from collections.abc import Callable

from .adapters.partners_table import PartnersTable
from .errors import Forbidden, InvalidRequest
from .records import PARTNER_ID_PATTERN

# A revoked mapping stops working within this many seconds on a warm function.
CACHE_SECONDS = 60.0


def check_partner_id(partner_id: str) -> str:
    """A partner id is a lowercase slug, because it becomes part of object keys.

    Raises:
        InvalidRequest: it is not.
    """
    if not re.match(PARTNER_ID_PATTERN, partner_id):
        raise InvalidRequest(f"partner id {partner_id!r} must match {PARTNER_ID_PATTERN}")
    return partner_id


class PartnerResolver:
    """Maps a verified principal to its partner id."""

    def __init__(self, table: PartnersTable, clock: Callable[[], float] = time.monotonic) -> None:
        self._table = table
        self._clock = clock
        self._cache: dict[str, tuple[float, str]] = {}

    def partner_for(self, principal: str) -> str:
        """The caller's partner id.

        Raises:
            Forbidden: ``unknown_partner`` when the credential maps to no partner.
        """
        now = self._clock()
        hit = self._cache.get(principal)
        if hit and now - hit[0] < CACHE_SECONDS:
            return hit[1]
        partner_id = self._table.partner_for(principal)
        if partner_id is None:
            raise Forbidden("This credential is not linked to a partner.", code="unknown_partner")
        self._cache[principal] = (now, partner_id)
        return partner_id
