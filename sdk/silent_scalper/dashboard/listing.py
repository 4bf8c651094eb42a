"""The files list: the browser's filters (from the URL) into pages of the API's listing.

The browser's query string is the view's state, so it is bookmarkable: ``state``, ``q``,
``created_after``/``created_before`` (ISO 8601 with an offset), or ``since`` (``1h``,
``24h``, ``7d``, ``30d``: relative to when the page is loaded), ``cursor`` and ``limit``.
A ``since`` is resolved here to an absolute ``created_after`` that is sent back, because a
cursor is bound to the exact filters it was made with: the next page must ask with the
same time, not one recomputed a minute later.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime, timedelta
from typing import Any, Literal

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, ValidationError

from .._client import Client
from ..models import FileRecord, FileState
from .errors import DashboardError

SINCE = {"1h": timedelta(hours=1), "24h": timedelta(hours=24), "7d": timedelta(days=7), "30d": timedelta(days=30)}
Since = Literal["1h", "24h", "7d", "30d"]
DEFAULT_PAGE_SIZE = 25
# With ``q`` the API may answer short (even empty) pages that still lead on; the server
# follows at most this many of them to fill one page for the browser.
MAX_CALLS_PER_PAGE = 10


class ListFilters(BaseModel):
    """The list view's query string, validated."""

    model_config = ConfigDict(extra="ignore", frozen=True)

    state: FileState | None = None
    q: str | None = Field(default=None, min_length=1, max_length=255)
    created_after: AwareDatetime | None = None
    created_before: AwareDatetime | None = None
    since: Since | None = None
    cursor: str | None = Field(default=None, max_length=4096)
    limit: int = Field(default=DEFAULT_PAGE_SIZE, ge=1, le=100)

    @classmethod
    def from_query(cls, args: Mapping[str, str]) -> ListFilters:
        """Validate a query string; empty values count as absent.

        Raises:
            DashboardError: 400 ``invalid_request`` naming the field.
        """
        values = {name: value for name, value in args.items() if value != ""}
        try:
            return cls.model_validate(values)
        except ValidationError as err:
            first = err.errors()[0]
            where = ".".join(str(part) for part in first["loc"])
            raise DashboardError(400, "invalid_request", f"{where}: {first['msg']}") from None

    def resolved(self, now: datetime) -> ListFilters:
        """The same filters with ``since`` turned into ``created_after`` at ``now``."""
        if self.since is None:
            return self
        return self.model_copy(update={"since": None, "created_after": now - SINCE[self.since]})


class PageView(BaseModel):
    """What the browser gets for one page of the list."""

    files: list[dict[str, Any]]
    next_cursor: str | None
    filters: dict[str, Any]


def record_view(record: FileRecord) -> dict[str, Any]:
    """A record as the browser gets it: every field the SDK knows, plus ``is_final``.

    Fields the SDK learns later (an attempts ``history``, say) reach the browser with no
    change here; the pages show what is present.
    """
    return {**record.model_dump(mode="json"), "is_final": record.is_final}


def fetch_page(client: Client, filters: ListFilters, now: datetime) -> PageView:
    """One page of files for the browser, newest first.

    With a name search, short pages are followed (up to ``MAX_CALLS_PER_PAGE`` calls) so
    the browser rarely shows an empty page that still has a "next" link.

    Raises:
        APIStatusError: The API refused the query (its code passes through).
        APIConnectionError: The API could not be reached.
    """
    filters = filters.resolved(now)
    files: list[FileRecord] = []
    cursor = filters.cursor
    for _ in range(MAX_CALLS_PER_PAGE):
        page = client.files.list_page(
            state=filters.state,
            limit=filters.limit,
            cursor=cursor,
            created_after=filters.created_after,
            created_before=filters.created_before,
            q=filters.q,
        )
        files.extend(page.files)
        cursor = page.next_cursor
        if cursor is None or len(files) >= filters.limit or filters.q is None:
            break
    echoed = filters.model_dump(mode="json", exclude={"cursor", "since"}, exclude_none=True)
    return PageView(files=[record_view(r) for r in files], next_cursor=cursor, filters=echoed)
