"""Trainer accounts: argon2-hashed passwords, two roles, disabling, and throttled sign-in.

`annotator` may review, annotate, curate and train; `admin` may also activate and roll back
models and manage accounts. Refusals name the role that is needed, so a trainer knows whom to ask.
Passwords follow `trainer.passwords`; a disabled account, or one whose password changes, loses its
sessions at once (`trainer.sessions`); sign-in goes through `trainer.throttle`. Other command-line
tools authenticate an admin with `authenticate_admin_cli` (see `trainer.cli_auth`).
"""

from __future__ import annotations

import argparse
import re
import time
from dataclasses import dataclass

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import delete, insert, select, update

from trainer import passwords, sessions, throttle
from trainer.account_tables import account_status
from trainer.policy import AccountPolicy
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
    passwords.check(password, username)
    with state.engine.begin() as conn:
        if conn.execute(select(users.c.username).where(users.c.username == username)).first():
            raise ValueError(f"there is already a user called {username}")
        conn.execute(
            insert(users).values(
                username=username, password_hash=_hasher.hash(password), role=role, created_at=time.time()
            )
        )


def _set_status(state: State, username: str, **values) -> None:
    with state.engine.begin() as conn:
        now = time.time()
        if conn.execute(select(account_status.c.username).where(account_status.c.username == username)).first():
            conn.execute(
                update(account_status).where(account_status.c.username == username).values(changed_at=now, **values)
            )
        else:
            conn.execute(insert(account_status).values(username=username, changed_at=now, **values))


def _require_user(state: State, username: str) -> None:
    with state.engine.connect() as conn:
        if not conn.execute(select(users.c.username).where(users.c.username == username)).first():
            raise ValueError(f"there is no user called {username}")


def set_password(state: State, username: str, password: str) -> int:
    """Change a password (policy checked); every session of the user ends. Returns how many did."""
    _require_user(state, username)
    passwords.check(password, username)
    with state.engine.begin() as conn:
        conn.execute(update(users).where(users.c.username == username).values(password_hash=_hasher.hash(password)))
    _set_status(state, username, password_changed_at=time.time())
    return sessions.revoke_user(state, username)


def set_disabled(state: State, username: str, disabled: bool) -> int:
    """Disable (or enable again) an account; disabling ends its sessions. Returns how many ended."""
    _require_user(state, username)
    _set_status(state, username, disabled=disabled)
    return sessions.revoke_user(state, username) if disabled else 0


def set_role(state: State, username: str, role: str) -> None:
    if role not in ROLES:
        raise ValueError(f"role must be one of {', '.join(ROLES)}")
    _require_user(state, username)
    with state.engine.begin() as conn:
        conn.execute(update(users).where(users.c.username == username).values(role=role))


def is_disabled(state: State, username: str) -> bool:
    with state.engine.connect() as conn:
        return bool(
            conn.execute(select(account_status.c.disabled).where(account_status.c.username == username)).scalar()
        )


def active_admins(state: State) -> list[str]:
    return [u["username"] for u in list_users(state) if u["role"] == "admin" and not u["disabled"]]


def remove_user(state: State, username: str) -> None:
    with state.engine.begin() as conn:
        conn.execute(delete(users).where(users.c.username == username))
        conn.execute(delete(account_status).where(account_status.c.username == username))  # a new namesake starts clean
    sessions.revoke_user(state, username)


def verify(state: State, username: str, password: str) -> str | None:
    """The user's role if the password is right and the account enabled, else None (the same answer,
    after the same hashing work, for unknown and disabled users)."""
    with state.engine.connect() as conn:
        row = conn.execute(select(users).where(users.c.username == username)).mappings().first()
    if row is None:
        _hasher.hash(password)  # spend the same time, so timing does not reveal which names exist
        return None
    try:
        _hasher.verify(row["password_hash"], password)
    except (VerificationError, InvalidHashError):
        return None
    return None if is_disabled(state, username) else row["role"]


@dataclass
class SignIn:
    """The outcome of one sign-in attempt: the role, or None with how long the name/address must wait."""

    role: str | None
    wait_seconds: float = 0.0


def sign_in(state: State, username: str, password: str, ip: str, policy: AccountPolicy) -> SignIn:
    """Check a password through the throttle (web form and command line alike), and audit a failure."""
    wait = throttle.wait_seconds(state, username, ip, policy)
    if wait > 0:  # not audited: the failure that set the lock was, and a flood must not grow the log
        return SignIn(None, wait)
    role = verify(state, username, password)
    if role is None:
        lock = throttle.record_failure(state, username, ip, policy)
        state.log(username[:64] or "?", "login_failed", **({"locked_seconds": round(lock)} if lock else {}))
        return SignIn(None, lock)
    throttle.record_success(state, username)
    return SignIn(role)


def role_of(state: State, username: str) -> str | None:
    """The role of an enabled account; None for unknown or disabled ones (so they are signed out)."""
    with state.engine.connect() as conn:
        row = conn.execute(select(users.c.role).where(users.c.username == username)).first()
    return row[0] if row and not is_disabled(state, username) else None


def list_users(state: State) -> list[dict]:
    query = select(users.c.username, users.c.role, users.c.created_at, account_status.c.disabled).outerjoin(
        account_status, account_status.c.username == users.c.username
    )
    with state.engine.connect() as conn:
        return [
            {**r, "disabled": bool(r["disabled"])} for r in conn.execute(query.order_by(users.c.username)).mappings()
        ]


def authenticate_admin_cli(args: argparse.Namespace, state: State | None = None) -> str:
    """For other command-line tools (erasure, retention): the admin this command runs as, or SystemExit.

    `args` needs the options `trainer.cli_auth.add_arguments` adds (and may carry `state_dir`). The
    user proves who they are with their password (prompted, `LOBBY_TRAINER_PASSWORD` or
    `--password-file`) or an API token (`LOBBY_TRAINER_API_TOKEN` or `--api-token-file`).
    """
    from trainer import cli_auth

    return cli_auth.authenticate_admin(args, state)
