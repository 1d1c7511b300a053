"""Where citizens' data lives, opened by path or URL: the tracker database, the action store, recordings.

Retention and erasure talk to the databases directly (plain SQL on the tables Rasa and actions/store.py
create), so they run in the app environment without Rasa or the action server, against SQLite files or
PostgreSQL alike. Defaults are the variables `make run` and the cluster set (scripts/env.sh).
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from pathlib import Path

import sqlalchemy as sa
from sqlalchemy.engine import Engine

ROOT = Path(__file__).resolve().parent.parent
# Recording files are named <session id>-<turn>.wav/.json inside day folders (avatar_bridge/recordings.py).
_RECORDING = re.compile(r"(?P<session>.+)-\d{3}\.(?:wav|json)")


def engine_for(where: str | Path, missing_ok: bool = False) -> Engine | None:
    """SQLite for a path (or sqlite:/// URL), PostgreSQL through psycopg for a postgresql:// URL.

    A SQLite file that does not exist is an error (a mistyped path must not read as "nothing to delete"),
    unless `missing_ok`: the scheduled job on a fresh install, before the first conversation, has None.
    """
    text = str(where)
    if text.startswith("sqlite:///"):
        text = text.removeprefix("sqlite:///")
    if "://" not in text:
        if not Path(text).exists():
            if missing_ok:
                return None
            raise FileNotFoundError(f"no database at {text}")
        return sa.create_engine(f"sqlite:///{text}", connect_args={"timeout": 30})
    url = sa.make_url(text)
    if url.drivername == "postgresql":
        url = url.set(drivername="postgresql+psycopg")
    return sa.create_engine(url)


def default_tracker() -> str:
    from trainer.config import _tracker_url_from_env  # the trainer reads the same database the same way

    return _tracker_url_from_env(ROOT)


def default_actions() -> str:
    return os.environ.get("LOBBY_ACTIONS_DB_URL") or os.environ.get("LOBBY_ACTIONS_DB") or str(ROOT / "var/actions.db")


def default_recordings() -> str | None:
    return os.environ.get("LOBBY_RECORDINGS_DIR") or None


@dataclass(frozen=True)
class Stores:
    """The three places, each optional (a deployment without recordings has none)."""

    tracker: str | None
    actions: str | None
    recordings: Path | None = None
    trainer: str | None = None  # the trainer's database: its inbox index holds (masked) copies of conversations
    missing_ok: bool = False  # the scheduled job: a database not created yet holds nothing to delete

    def tracker_engine(self) -> Engine | None:
        return engine_for(self.tracker, self.missing_ok) if self.tracker else None

    def actions_engine(self) -> Engine | None:
        return engine_for(self.actions, self.missing_ok) if self.actions else None

    def trainer_engine(self) -> Engine | None:
        return engine_for(self.trainer, missing_ok=True) if self.trainer else None  # no trainer yet: no index


# The trainer's inbox index and review marks, per conversation (trainer/state.py): copies to forget too.
TRAINER_TABLES = ("conv_index", "msg_index", "reviewed")


def forget_in_trainer(stores: Stores, senders: list[str], dry_run: bool) -> int:
    """Remove deleted conversations from the trainer's index; returns how many conversations it listed."""
    engine = stores.trainer_engine()
    if engine is None or not senders:
        return 0
    present = tables(engine)
    listed = 0
    with engine.begin() as db:
        for start in range(0, len(senders), 500):
            chunk = senders[start : start + 500]
            where = sa.text("sender_id IN :senders").bindparams(sa.bindparam("senders", expanding=True))
            if "conv_index" in present:
                count = sa.select(sa.func.count()).select_from(sa.table("conv_index")).where(where)
                listed += db.execute(count, {"senders": chunk}).scalar_one()
            if not dry_run:
                for table in TRAINER_TABLES:
                    if table in present:
                        db.execute(sa.delete(sa.table(table)).where(where), {"senders": chunk})
    engine.dispose()
    return listed


def tables(engine: Engine) -> set[str]:
    return set(sa.inspect(engine).get_table_names())


def recording_files(folder: Path | None, session: str) -> list[Path]:
    """Every kept recording (audio and transcript) of one session, in any day folder."""
    if folder is None or not folder.is_dir():
        return []
    found = []
    for day in folder.iterdir():
        if day.is_dir():
            for file in day.iterdir():
                match = _RECORDING.fullmatch(file.name)
                if match and match["session"] == session:
                    found.append(file)
    return sorted(found)
