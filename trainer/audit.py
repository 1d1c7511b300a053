"""Where an audited action came from, and the rule that audit details never hold a secret.

The origin ("web 10.0.0.7", "cli alice@hallpc") is kept in a context variable set once per web
request (by `trainer.web`) or per command (by `trainer.cli`), so every existing `state.log(...)`
call records it without each caller passing it along. This module imports nothing from the
trainer, so `trainer.state` can use it.
"""

from __future__ import annotations

import getpass
import re
import socket
from contextvars import ContextVar
from typing import Any

_origin: ContextVar[str] = ContextVar("lobby_trainer_origin", default="")
# A key that *is* a secret ("password", "api_token", "secret"), not one that refers to one ("token_id").
_SECRET_KEY = re.compile(r"(^|_)(pass(word|phrase)?|token|secret|hash|key)$", re.IGNORECASE)


def set_origin(origin: str) -> None:
    _origin.set(origin[:128])


def current_origin() -> str:
    """The origin of the action being recorded; background jobs (no request) say so."""
    return _origin.get() or "background"


def cli_origin() -> str:
    """`cli <shell user>@<host>`: which shell account ran a command, next to the trainer account it signed in as."""
    try:
        who = getpass.getuser()
    except (KeyError, OSError):  # no name for this uid (containers)
        who = "?"
    return f"cli {who}@{socket.gethostname()}"


def checked_details(details: dict[str, Any]) -> dict[str, Any]:
    """The details unchanged, or a ValueError if a key names a password, token, secret or hash.

    A programming error, not user input: failing loudly keeps a careless `state.log(..., password=...)`
    out of the append-only table, where it could never be removed.
    """
    bad = [k for k in details if _SECRET_KEY.search(k)]
    if bad:
        raise ValueError(f"audit details must not hold secrets (keys: {', '.join(bad)})")
    return details
