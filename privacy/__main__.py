"""Command line: retention (once or on a schedule) and erasure of one conversation.

    python -m privacy retention --days 30 [--dry-run]
    python -m privacy schedule --days 30 [--every-hours 24]     # what scripts/run.sh starts
    python -m privacy erase SENDER_ID --user alice [--dry-run]  # admin only (password or token), audited

Databases default to the ones `make run` uses (LOBBY_TRACKER_DB / LOBBY_PG_*, LOBBY_ACTIONS_DB(_URL));
recordings to LOBBY_RECORDINGS_DIR (the bridge's --keep-recordings folder), if any.
"""

from __future__ import annotations

import argparse
import dataclasses
import datetime as dt
import getpass
import logging
import os
import sys
import time
from pathlib import Path

from privacy.retention import apply_retention
from privacy.stores import Stores, default_actions, default_recordings, default_tracker

_LOG = logging.getLogger("privacy")
DAYS_ENV = "LOBBY_RETENTION_DAYS"
DEFAULT_DAYS = 30


def _days(value: str | None) -> int:
    days = int(value or os.environ.get(DAYS_ENV) or DEFAULT_DAYS)
    if days < 1:
        raise SystemExit(f"error: the retention period must be at least 1 day (got {days})")
    return days


def _stores(args: argparse.Namespace) -> Stores:
    recordings = args.recordings or default_recordings()
    return Stores(
        tracker=args.tracker_db or default_tracker(),
        actions=args.actions_db or default_actions(),
        recordings=Path(recordings) if recordings else None,
        trainer=_trainer_settings(args).state_db_url,
    )


def _trainer_settings(args: argparse.Namespace):
    from trainer.config import Settings

    return Settings(state_dir=Path(args.state_dir) if args.state_dir else None)


def cmd_retention(args: argparse.Namespace) -> int:
    days = _days(args.days)
    deleted = apply_retention(_stores(args), days, dry_run=args.dry_run)
    verb = "would delete" if args.dry_run else "deleted"
    print(f"retention {days} days: {verb} {deleted.summary()}")
    return 0


def cmd_schedule(args: argparse.Namespace) -> int:
    """Run the retention job now and then every `--every-hours`; a failed run is logged and retried next time."""
    days = _days(args.days)
    stores = dataclasses.replace(_stores(args), missing_ok=True)
    while True:
        try:
            apply_retention(stores, days)
        except Exception:  # a locked or missing database must not stop the schedule
            _LOG.exception("retention run failed; next attempt in %s h", args.every_hours)
        time.sleep(args.every_hours * 3600)


def cmd_erase(args: argparse.Namespace) -> int:
    from privacy.admin import NotAllowed, authenticate_admin
    from privacy.erasure import erase_conversation
    from trainer.state import State

    settings = _trainer_settings(args)
    settings.ensure_dirs()
    state = State.open(settings.state_db_url)
    try:
        admin = authenticate_admin(state, args)
    except NotAllowed as exc:
        state.log(f"cli:{getpass.getuser()}", "erase_refused", sender_id=args.sender_id, claimed=args.user or "")
        print(f"refused: {exc}", file=sys.stderr)
        return 2
    deleted = erase_conversation(_stores(args), args.sender_id, dry_run=args.dry_run)
    if not args.dry_run:
        state.log(
            admin,
            "erase_conversation",
            sender_id=args.sender_id,
            at=dt.datetime.now().isoformat(timespec="seconds"),
            shell_user=getpass.getuser(),
            **deleted.as_dict(),
        )
    verb = "would delete" if args.dry_run else "deleted"
    print(f"conversation {args.sender_id}: {verb} {deleted.summary()}")
    return 0


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="python -m privacy", description=__doc__.split("\n\n")[0])
    sub = p.add_subparsers(dest="command", required=True)

    def where(parser: argparse.ArgumentParser) -> argparse.ArgumentParser:
        parser.add_argument("--tracker-db", help="tracker database: SQLite path or URL (default: as `make run`)")
        parser.add_argument("--actions-db", help="action store: SQLite path or URL (default: as `make run`)")
        parser.add_argument(
            "--recordings", help="the bridge's --keep-recordings folder (default $LOBBY_RECORDINGS_DIR)"
        )
        parser.add_argument("--state-dir", help="trainer state: accounts, audit, inbox index (default var/trainer)")
        return parser

    r = where(sub.add_parser("retention", help="delete what is older than the retention period, once"))
    r.add_argument("--days", help=f"retention period (default ${DAYS_ENV} or {DEFAULT_DAYS})")
    r.add_argument("--dry-run", action="store_true", help="count what would go; delete nothing")
    r.set_defaults(func=cmd_retention)

    s = where(sub.add_parser("schedule", help="run the retention job now and then periodically (runs until stopped)"))
    s.add_argument("--days", help=f"retention period (default ${DAYS_ENV} or {DEFAULT_DAYS})")
    s.add_argument("--every-hours", type=float, default=24.0, help="hours between runs (default 24)")
    s.set_defaults(func=cmd_schedule)

    e = where(sub.add_parser("erase", help="delete one conversation and what it made (admin only, audited)"))
    e.add_argument("sender_id", help="the conversation's session (sender) id")
    from privacy.admin import add_arguments as sign_in_options

    sign_in_options(e)  # --user NAME and a password or API token: a name alone is not trusted
    e.add_argument("--dry-run", action="store_true", help="count what would go; delete nothing")
    e.set_defaults(func=cmd_erase)
    return p


def main(argv: list[str] | None = None) -> int:
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    args = build_parser().parse_args(argv)
    try:
        return args.func(args)
    except (FileNotFoundError, ValueError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
