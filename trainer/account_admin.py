"""Admin actions on accounts, shared by the web pages and the command line, each audited once.

Both front ends call these, so a change made either way reads the same in the audit log and obeys
the same rules (above all: the last enabled admin cannot be disabled or demoted, which would leave
nobody able to manage accounts).
"""

from __future__ import annotations

from trainer import auth, sessions, throttle, tokens
from trainer.state import State


class Refused(ValueError):
    """The action is not allowed; the message is shown as is."""


def _keep_an_admin(state: State, username: str) -> None:
    if auth.active_admins(state) == [username]:
        raise Refused(f"{username} is the last enabled admin; make another admin first")


def add_user(state: State, by: str, username: str, password: str, role: str) -> None:
    auth.add_user(state, username, password, role)
    state.log(by, "add_user", username=username, role=role)


def disable(state: State, by: str, username: str) -> int:
    _keep_an_admin(state, username)
    ended = auth.set_disabled(state, username, True)
    state.log(by, "disable_user", username=username, sessions_revoked=ended)
    return ended


def enable(state: State, by: str, username: str) -> None:
    auth.set_disabled(state, username, False)
    state.log(by, "enable_user", username=username)


def change_role(state: State, by: str, username: str, role: str) -> None:
    if role != "admin":
        _keep_an_admin(state, username)
    auth.set_role(state, username, role)
    state.log(by, "change_role", username=username, role=role)


def reset_password(state: State, by: str, username: str, password: str) -> int:
    ended = auth.set_password(state, username, password)
    state.log(by, "set_password", username=username, sessions_revoked=ended)
    return ended


def revoke_session(state: State, by: str, session_id: int) -> str | None:
    owner = sessions.revoke(state, session_id)
    if owner:
        state.log(by, "revoke_session", username=owner, session=session_id)
    return owner


def revoke_sessions(state: State, by: str, username: str) -> int:
    ended = sessions.revoke_user(state, username)
    state.log(by, "revoke_sessions", username=username, sessions_revoked=ended)
    return ended


def issue_token(state: State, by: str, username: str, label: str, days: float | None) -> tuple[int, str]:
    if auth.role_of(state, username) is None:
        raise Refused(f"there is no enabled user called {username}")
    token_id, token = tokens.issue(state, username, by, label, days)
    state.log(by, "issue_api_token", username=username, token_id=token_id, label=label, days=days)
    return token_id, token


def revoke_token(state: State, by: str, token_id: int) -> str | None:
    owner = tokens.revoke(state, token_id)
    if owner:
        state.log(by, "revoke_api_token", username=owner, token_id=token_id)
    return owner


def unlock(state: State, by: str, username: str) -> None:
    throttle.unlock(state, username)
    state.log(by, "unlock_sign_in", username=username)
