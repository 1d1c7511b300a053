"""Slowing down password guessing: per user name and per client address, with a doubling back-off.

Counted per *name typed*, whether an account of that name exists or not, so a lock reveals nothing
about which names are real (no user enumeration). After `lockout_failures` failures in a row a name
is locked for `lockout_seconds`; each further failure doubles the wait, up to `lockout_max_seconds`.
An address is locked the same way after `ip_failures` failures against any names (password
spraying). While locked, the password is not even checked, so a right guess teaches nothing.
Failures are forgotten `failure_window_seconds` after the last one (or after the lock ends).
"""

from __future__ import annotations

import time

from sqlalchemy import delete, insert, select, update

from trainer.account_tables import sign_in_failures as table
from trainer.policy import AccountPolicy
from trainer.state import State


def _keys(name: str, ip: str, policy: AccountPolicy) -> list[tuple[str, int]]:
    keys = [(f"user:{name.strip().lower()[:100]}", policy.lockout_failures)]
    if ip:
        keys.append((f"ip:{ip[:64]}", policy.ip_failures))
    return keys


def wait_seconds(state: State, name: str, ip: str, policy: AccountPolicy) -> float:
    """How long this name or address must still wait before a sign-in attempt is checked (0: go ahead)."""
    now = time.time()
    with state.engine.connect() as conn:
        until = [
            conn.execute(select(table.c.locked_until).where(table.c.key == key)).scalar() or 0.0
            for key, _ in _keys(name, ip, policy)
        ]
    return max(0.0, max(until) - now)


def record_failure(state: State, name: str, ip: str, policy: AccountPolicy) -> float:
    """Count a failed attempt; returns the lock it caused, in seconds (0 if none yet)."""
    now = time.time()
    longest = 0.0
    with state.engine.begin() as conn:
        for key, threshold in _keys(name, ip, policy):
            row = conn.execute(select(table).where(table.c.key == key)).mappings().first()
            if row is None:
                conn.execute(insert(table).values(key=key, failures=0, last_failure=now, locked_until=0.0))
                failures = 0
            else:
                quiet_since = max(row["last_failure"], row["locked_until"])
                failures = 0 if now - quiet_since > policy.failure_window_seconds else row["failures"]
            failures += 1
            lock = 0.0
            if failures >= threshold:
                lock = min(policy.lockout_max_seconds, policy.lockout_seconds * 2 ** (failures - threshold))
                longest = max(longest, lock)
            conn.execute(
                update(table)
                .where(table.c.key == key)
                .values(failures=failures, last_failure=now, locked_until=now + lock if lock else 0.0)
            )
    return longest


def record_success(state: State, name: str) -> None:
    """A right password clears the name's count (not the address's: one's own account must not reset
    the count of a sprayer sharing the address)."""
    with state.engine.begin() as conn:
        conn.execute(delete(table).where(table.c.key == f"user:{name.strip().lower()[:100]}"))


def unlock(state: State, name: str) -> bool:
    """An admin lifts a name's lock (after checking with its owner); True if it was counted at all."""
    with state.engine.begin() as conn:
        return bool(conn.execute(delete(table).where(table.c.key == f"user:{name.strip().lower()[:100]}")).rowcount)
