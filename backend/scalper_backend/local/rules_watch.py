"""Rules changed on disk become the rules in force, as a deploy would make them.

On AWS a rules change is a deploy: new function instances start with the new file. The
local stack watches the rules file (``scalper local --rules``) and, once the changed file
loads and validates, starts the functions afresh (their dependencies, rules included, are
built again on the next invocation). A file that does not validate is reported and the
rules in force stay, as a deploy whose tests fail never ships.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from aws_lambda_powertools import Logger

from scalper_inspection import RulesError, load_rules

from .ticking import Ticker

logger = Logger(service="scalper-local")


class RulesWatcher(Ticker):
    name = "rules-watch"

    def __init__(self, path: Path, *, redeploy: Callable[[], None], every: float = 0.5) -> None:
        super().__init__(every)
        self._path = path
        self._redeploy = redeploy
        self._seen = self._stamp()

    def tick(self) -> None:
        self.check()

    def _stamp(self) -> tuple[int, int] | None:
        try:
            stat = self._path.stat()
        except OSError:
            return None
        return stat.st_mtime_ns, stat.st_size

    def check(self) -> bool:
        """Reload if the file changed and is valid; returns whether the rules were replaced."""
        stamp = self._stamp()
        if stamp == self._seen or stamp is None:
            return False
        self._seen = stamp
        try:
            rules = load_rules(self._path)
        except RulesError as err:
            logger.error("rules file changed but is invalid; the rules in force stay", extra={"error": str(err)[:300]})
            return False
        self._redeploy()
        logger.info("rules reloaded", extra={"version": rules.version})
        return True
