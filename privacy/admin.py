"""Who is asking: the one place privacy commands decide that their caller is a trainer admin.

Today it works like the trainer's own command line (trainer/cli.py): the account named by `--user` or
LOBBY_TRAINER_USER must exist and hold the admin role. When the trainer CLI asks for a password or a
token instead, only `authenticate_admin` changes; the commands call nothing else.
"""

from __future__ import annotations

import os

from trainer import auth
from trainer.state import State


class NotAllowed(Exception):
    """The caller is not a trainer admin; the message says why, in words for the person at the terminal."""


def authenticate_admin(state: State, claimed: str | None) -> str:
    """The admin's account name, or NotAllowed."""
    name = claimed or os.environ.get("LOBBY_TRAINER_USER")
    if not name:
        raise NotAllowed("say who you are with --user NAME (a trainer admin)")
    role = auth.role_of(state, name)
    if role is None:
        raise NotAllowed(f"there is no trainer account called {name}")
    if role != "admin":
        raise NotAllowed(f"only an admin may erase a conversation; {name} is an {role}")
    return name
