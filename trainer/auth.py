"""Trainer accounts: argon2-hashed passwords and two roles.

`annotator` may review, annotate, curate and train; `admin` may also activate and roll back
models and manage accounts. Refusals name the role that is needed, so a trainer knows whom to ask.
"""

from __future__ import annotations

import re
import time

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import delete, insert, select, update

from trainer.state import State, users

ROLES = ("annotator", "admin")
PERMISSIONS = {
    "annotator": {"review", "annotate", "curate", "train"},
    "admin": {"review", "annotate", "curate", "train", "activate", "rollback", "manage_users", "reveal"},
}
ACTION_WORDS = {
    "review": "review conversations",
    "annotate": "annotate messages",
    "curate": "change training examples",
    "train": "start training jobs",
    "activate": "activate a model",
    "rollback": "roll back the live model",
    "manage_users": "manage accounts",
    "reveal": "show unmasked personal data",
}
_hasher = PasswordHasher()


class Forbidden(Exception):
    """Raised when a role does not allow an action; the message is shown to the user as is."""


def require(username: str, role: str, permission: str) -> None:
    if permission not in PERMISSIONS.get(role, set()):
        needed = "admin" if permission not in PERMISSIONS["annotator"] else "annotator"
        raise Forbidden(
            f"Only an {needed} may {ACTION_WORDS.get(permission, permission)}. You are signed in as "
            f"{username} ({role}). Ask an admin if this needs doing."
        )


def add_user(state: State, username: str, password: str, role: str) -> None:
    if role not in ROLES:
        raise ValueError(f"role must be one of {', '.join(ROLES)}")
    if not re.fullmatch(r"[A-Za-z0-9_.@-]{2,64}", username):
        raise ValueError("user names are 2–64 letters, digits, or . _ @ -")
    if len(password) < 8:
        raise ValueError("passwords need at least 8 characters")
    with state.engine.begin() as conn:
        if conn.execute(select(users.c.username).where(users.c.username == username)).first():
            raise ValueError(f"there is already a user called {username}")
        conn.execute(
            insert(users).values(
                username=username, password_hash=_hasher.hash(password), role=role, created_at=time.time()
            )
        )


def set_password(state: State, username: str, password: str) -> None:
    if len(password) < 8:
        raise ValueError("passwords need at least 8 characters")
    with state.engine.begin() as conn:
        conn.execute(update(users).where(users.c.username == username).values(password_hash=_hasher.hash(password)))


def remove_user(state: State, username: str) -> None:
    with state.engine.begin() as conn:
        conn.execute(delete(users).where(users.c.username == username))


def verify(state: State, username: str, password: str) -> str | None:
    """The user's role if the password is right, else None (same answer for unknown users)."""
    with state.engine.connect() as conn:
        row = conn.execute(select(users).where(users.c.username == username)).mappings().first()
    if row is None:
        _hasher.hash(password)  # spend the same time, so timing does not reveal which names exist
        return None
    try:
        _hasher.verify(row["password_hash"], password)
    except (VerificationError, InvalidHashError):
        return None
    return row["role"]


def role_of(state: State, username: str) -> str | None:
    with state.engine.connect() as conn:
        row = conn.execute(select(users.c.role).where(users.c.username == username)).first()
    return row[0] if row else None


def list_users(state: State) -> list[dict]:
    with state.engine.connect() as conn:
        return [dict(r) for r in conn.execute(select(users.c.username, users.c.role, users.c.created_at)).mappings()]
