"""The action server's settings, read once from the environment when it starts (docs/configuration.md).

One place instead of reads scattered over modules, so a wrong value stops start-up with its name.
"""

from __future__ import annotations

import datetime as dt
import logging
import os
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

_LOG = logging.getLogger(__name__)
REPO_ROOT = Path(__file__).resolve().parent.parent


class SettingsError(ValueError):
    """A setting has a value the action server cannot use; the message names the variable."""


@dataclass(frozen=True)
class ActionSettings:
    kb_dir: Path | None  # None: kb's default (data/); LOBBY_KB_DIR is honoured by kb itself, for every component
    actions_db: Path
    actions_db_url: str | None  # a database URL (PostgreSQL) shared by several action servers; None: the SQLite file
    now: dt.datetime | None  # the test clock: frozen "now" for tests and demos only

    @classmethod
    def from_env(cls, env: dict[str, str] | None = None) -> ActionSettings:
        env = dict(os.environ if env is None else env)
        pinned = env.get("LOBBY_NOW") or None
        now = None
        if pinned:
            if env.get("LOBBY_ALLOW_TEST_CLOCK") != "1":
                raise SettingsError(
                    f"LOBBY_NOW={pinned} would freeze the guide's clock (dates, opening hours, bookings). It is for "
                    "tests and demos only: also set LOBBY_ALLOW_TEST_CLOCK=1 to allow it, or unset LOBBY_NOW."
                )
            try:
                now = dt.datetime.fromisoformat(pinned)
            except ValueError as exc:
                raise SettingsError(f"LOBBY_NOW={pinned!r} is not an ISO date-time (2026-12-14T10:00:00)") from exc
        return cls(
            kb_dir=Path(env["LOBBY_KB_DIR"]) if env.get("LOBBY_KB_DIR") else None,
            actions_db=Path(env.get("LOBBY_ACTIONS_DB") or REPO_ROOT / "var" / "actions.db"),
            actions_db_url=env.get("LOBBY_ACTIONS_DB_URL") or None,
            now=now,
        )

    def announce(self) -> None:
        """Log what start-up chose; the test clock loudly, since it changes every date the guide says."""
        if self.now:
            _LOG.warning(
                "TEST CLOCK ON: the guide believes it is %s (LOBBY_NOW). Never set this in production.",
                self.now.isoformat(),
            )
        _LOG.info(
            "knowledge base %s, actions database %s",
            self.kb_dir or "data/ (default)",
            self.actions_db_url.split("@")[-1] if self.actions_db_url else self.actions_db,
        )


@lru_cache(maxsize=1)
def settings() -> ActionSettings:
    return ActionSettings.from_env()
