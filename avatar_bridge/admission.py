"""Admission control: how many kiosks one bridge takes, and how many of them may be hands-free.

A bridge that takes every kiosk makes every kiosk slow once its two cores are
saturated (queues grow without bound and every reply is late). So it refuses
beyond what it was measured to serve within the voice-to-voice target
(`make bench-capacity`, docs/benchmarks.md "Capacity per box"):

* sessions beyond `--max-sessions` are refused at connection time
  (`error too_many_sessions`, close 1013): the kiosk retries or another bridge
  takes it;
* hands-free costs more than push-to-talk (the VAD and the end-of-turn model run
  on every 20 ms frame, and partial transcripts are decoded while the citizen
  talks), so beyond `--max-hands-free` a kiosk asking for hands-free is served
  push-to-talk instead and told so (`error hands_free_unavailable`; the session
  goes on). A seat frees when a hands-free session ends or switches to
  push-to-talk.
"""

from __future__ import annotations

import threading


class Seats:
    """A counted, thread-safe set of holders (sessions); `take` is idempotent per holder."""

    def __init__(self, limit: int):
        self.limit = limit
        self._holders: set[int] = set()
        self._lock = threading.Lock()

    def take(self, holder: object) -> bool:
        with self._lock:
            if id(holder) in self._holders:
                return True
            if len(self._holders) >= self.limit:
                return False
            self._holders.add(id(holder))
            return True

    def give_back(self, holder: object) -> None:
        with self._lock:
            self._holders.discard(id(holder))

    @property
    def taken(self) -> int:
        with self._lock:
            return len(self._holders)


HANDS_FREE_UNAVAILABLE = (
    "this bridge serves {limit} hands-free kiosks at most and all are in use; this session is push-to-talk "
    "(send audio_start / audio_end around each question); ask for hands-free again later with settings"
)
