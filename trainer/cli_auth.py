"""Who is running this command: a trainer account proven by its password or by an API token.

The command line no longer takes `--user` on trust. A command that changes something asks for the
account's password on the terminal, or reads it from `LOBBY_TRAINER_PASSWORD` or `--password-file`
(scripts), or takes an API token an admin issued (`LOBBY_TRAINER_API_TOKEN` or `--api-token-file`),
which names its own account. Passwords go through the same throttle as the web sign-in, keyed by
the shell account instead of an address. Without a terminal and without any of these, the command
is refused rather than left waiting on a prompt nobody sees.
"""

from __future__ import annotations

import argparse
import getpass
import os
import sys
from pathlib import Path

from trainer import audit, auth, tokens
from trainer.policy import AccountPolicy
from trainer.state import State


def add_arguments(parser: argparse.ArgumentParser) -> argparse.ArgumentParser:
    """The sign-in options of a command that changes something (any CLI may reuse them)."""
    parser.add_argument("--user", help="trainer account doing this (default $LOBBY_TRAINER_USER)")
    parser.add_argument(
        "--password-file",
        help="read the account's password from this file (default: $LOBBY_TRAINER_PASSWORD, else ask)",
    )
    parser.add_argument(
        "--api-token-file", help="sign in with an API token from this file instead (default $LOBBY_TRAINER_API_TOKEN)"
    )
    return parser


def _first_line(path: str | None) -> str:
    if not path:
        return ""
    try:
        return Path(path).read_text(encoding="utf-8").splitlines()[0] if Path(path).stat().st_size else ""
    except OSError as exc:
        raise SystemExit(f"error: cannot read {path}: {exc.strerror}") from None


def _password(name: str, args: argparse.Namespace) -> str:
    password = _first_line(getattr(args, "password_file", None)) or os.environ.get("LOBBY_TRAINER_PASSWORD", "")
    if password:
        return password
    if not sys.stdin.isatty():
        raise SystemExit(
            f"error: this command needs the password of {name}: run it on a terminal to be asked, or give "
            "--password-file, $LOBBY_TRAINER_PASSWORD, or an API token ($LOBBY_TRAINER_API_TOKEN / --api-token-file)"
        )
    return getpass.getpass(f"password for {name}: ")


def signed_in_user(state: State, args: argparse.Namespace, policy: AccountPolicy | None = None) -> str:
    """The account this command acts as, once its password or token checks out; SystemExit otherwise."""
    if not audit.current_origin().startswith("cli"):
        audit.set_origin(audit.cli_origin())
    named = getattr(args, "user", None) or os.environ.get("LOBBY_TRAINER_USER", "")
    token = _first_line(getattr(args, "api_token_file", None)) or os.environ.get("LOBBY_TRAINER_API_TOKEN", "")
    if token:
        owner = tokens.owner(state, token)
        if owner is None or auth.role_of(state, owner) is None:
            state.log(named[:64] or "?", "api_token_refused")
            raise SystemExit(
                "error: that API token is not valid (unknown, revoked or expired, or its account is disabled)"
            )
        if named and named != owner:
            raise SystemExit(f"error: the API token belongs to {owner}, not {named}")
        return owner
    if not named:
        raise SystemExit("error: say who you are with --user NAME (or $LOBBY_TRAINER_USER), or use an API token")
    outcome = auth.sign_in(state, named, _password(named, args), audit.cli_origin(), policy or AccountPolicy())
    if outcome.role is None:
        if outcome.wait_seconds > 0:
            raise SystemExit(
                f"refused: too many failed sign-ins for this name or shell account; try again in "
                f"{max(1, round(outcome.wait_seconds))} s"
            )
        raise SystemExit("error: wrong user name or password")
    return named


def authenticate(state: State, args: argparse.Namespace, permission: str, policy: AccountPolicy | None = None) -> str:
    """The signed-in account, once its role allows `permission` (`auth.PERMISSIONS`); SystemExit otherwise."""
    name = signed_in_user(state, args, policy)
    try:
        auth.require(name, auth.role_of(state, name) or "", permission)
    except auth.Forbidden as exc:
        raise SystemExit(f"refused: {exc}") from None
    return name


def authenticate_admin(args: argparse.Namespace, state: State | None = None) -> str:
    """An admin's name for another CLI (erasure, retention...), or SystemExit with the reason.

    Opens the trainer's database from `args.state_dir` (or the default settings) when no state is given.
    """
    if state is None:
        from trainer.config import Settings

        state_dir = getattr(args, "state_dir", None)
        settings = Settings(state_dir=Path(state_dir) if state_dir else None)
        settings.ensure_dirs()
        state = State.open(settings.state_db_url)
    name = signed_in_user(state, args)
    role = auth.role_of(state, name)
    if role != "admin":
        raise SystemExit(f"refused: only an admin may do this. You are signed in as {name} ({role}).")
    return name
