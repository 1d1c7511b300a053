"""Who is asking: the one place privacy commands decide that their caller is a trainer admin.

The caller signs in exactly as on the trainer's own command line (trainer/cli_auth.py): the account named by
`--user` or LOBBY_TRAINER_USER proves itself with its password (asked on the terminal, `--password-file` or
LOBBY_TRAINER_PASSWORD) or an API token an admin issued; a name alone is never trusted. Failed sign-ins count
towards the trainer's lock-out like any other.
"""

from __future__ import annotations

import argparse

from trainer import auth, cli_auth
from trainer.state import State


class NotAllowed(Exception):
    """The caller is not a signed-in trainer admin; the message says why, in words for the person at the terminal."""


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """The sign-in options (`--user`, `--password-file`, `--api-token-file`)."""
    cli_auth.add_arguments(parser)


def authenticate_admin(state: State, args: argparse.Namespace) -> str:
    """The signed-in admin's account name, or NotAllowed."""
    try:
        name = cli_auth.signed_in_user(state, args)
    except SystemExit as exc:
        raise NotAllowed(str(exc).removeprefix("error: ").removeprefix("refused: ")) from None
    role = auth.role_of(state, name)
    if role != "admin":
        raise NotAllowed(f"only an admin may erase a conversation; {name} is an {role}")
    return name
