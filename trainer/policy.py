"""The account-security settings of one trainer installation: session lifetimes, limits and lock-out.

They live apart from `Settings` so the session, throttle and CLI modules share one small typed object,
and every value can be set from the environment (docs/security/accounts.md says why each default is
what it is) or passed directly by tests.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field


def _env_float(name: str, default: float) -> float:
    raw = os.environ.get(name, "")
    try:
        return float(raw) if raw else default
    except ValueError:
        raise ValueError(f"{name} must be a number, not {raw!r}") from None


@dataclass
class AccountPolicy:
    """How long sessions live, how many a user may hold, and when sign-in attempts are slowed down."""

    # A trainer's page is left open while they think; 30 min idle signs out an abandoned browser in a hall office.
    idle_minutes: float = field(default_factory=lambda: _env_float("LOBBY_TRAINER_IDLE_MINUTES", 30))
    # One working day: nobody stays signed in overnight.
    absolute_hours: float = field(default_factory=lambda: _env_float("LOBBY_TRAINER_SESSION_HOURS", 12))
    # Office PC, laptop and one spare; a new sign-in beyond this signs out the user's oldest session.
    max_sessions: int = field(default_factory=lambda: int(_env_float("LOBBY_TRAINER_MAX_SESSIONS", 3)))
    # auto: Secure cookie when the request came over https (directly or via a trusted proxy); always; never.
    cookie_secure: str = field(default_factory=lambda: os.environ.get("LOBBY_TRAINER_COOKIE_SECURE", "auto"))
    # Per user name: this many failures in a row lock the name; each further failure doubles the wait.
    lockout_failures: int = field(default_factory=lambda: int(_env_float("LOBBY_TRAINER_LOCKOUT_FAILURES", 5)))
    lockout_seconds: float = field(default_factory=lambda: _env_float("LOBBY_TRAINER_LOCKOUT_SECONDS", 60))
    lockout_max_seconds: float = field(default_factory=lambda: _env_float("LOBBY_TRAINER_LOCKOUT_MAX_SECONDS", 3600))
    # Per client address, whatever names it tries (password spraying): a higher bar, the same back-off.
    ip_failures: int = field(default_factory=lambda: int(_env_float("LOBBY_TRAINER_IP_FAILURES", 20)))
    # Failures older than this are forgotten, so an occasional typo never adds up to a lock.
    failure_window_seconds: float = 900.0

    def __post_init__(self) -> None:
        if self.cookie_secure not in ("auto", "always", "never"):
            raise ValueError("LOBBY_TRAINER_COOKIE_SECURE must be auto, always or never")
        if self.idle_minutes <= 0 or self.absolute_hours <= 0 or self.max_sessions < 1:
            raise ValueError("session timeouts must be positive and at least one session allowed per user")
        if self.lockout_failures < 1 or self.ip_failures < 1:
            raise ValueError("lock-out thresholds must be at least 1")

    @property
    def idle_seconds(self) -> float:
        return self.idle_minutes * 60

    @property
    def absolute_seconds(self) -> float:
        return self.absolute_hours * 3600
