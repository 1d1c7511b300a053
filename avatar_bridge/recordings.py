"""Opt-in recordings of citizens' utterances for trainers, with a retention period.

Off by default: nothing a citizen says is written anywhere unless the operator
gives a folder (`--keep-recordings DIR`). Then each transcribed utterance is kept
as `DIR/YYYY-MM-DD/<session>-<turn>.wav` plus a `.json` with the transcript and
kiosk, and folders older than `retention_days` are deleted at start-up and
at most an hour later (checked when recording), so recordings never outlive what the privacy notice promises.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import shutil
import threading
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from avatar_bridge.state import SessionState
from voice.audio import write_wav

_LOG = logging.getLogger(__name__)
PURGE_EVERY_S = 3600


@dataclass
class Recorder:
    folder: Path
    retention_days: int = 7

    def __post_init__(self) -> None:
        self.folder = Path(self.folder)
        self.folder.mkdir(parents=True, exist_ok=True)
        self._lock = threading.Lock()
        self._purged = time.monotonic()
        self.purge()

    def save(self, state: SessionState, pcm16: bytes, sample_rate: int, text: str) -> Path:
        if time.monotonic() - self._purged > PURGE_EVERY_S:
            self._purged = time.monotonic()
            self.purge()
        now = dt.datetime.now()
        day = self.folder / now.strftime("%Y-%m-%d")
        day.mkdir(exist_ok=True)
        stem = day / f"{state.session_id}-{state.turns + 1:03d}"
        write_wav(stem.with_suffix(".wav"), np.frombuffer(pcm16, dtype=np.int16), sample_rate)
        stem.with_suffix(".json").write_text(
            json.dumps(
                {
                    "session_id": state.session_id,
                    "kiosk_id": state.kiosk_id,
                    "language": state.language,
                    "transcript": text,
                    "recorded_at": now.isoformat(timespec="seconds"),
                },
                ensure_ascii=False,
            )
        )
        return stem.with_suffix(".wav")

    def purge(self, today: dt.date | None = None) -> int:
        """Delete day folders older than the retention period; returns how many went."""
        cutoff = (today or dt.date.today()) - dt.timedelta(days=self.retention_days)
        removed = 0
        with self._lock:
            for day in self.folder.iterdir():
                try:
                    date = dt.date.fromisoformat(day.name)
                except ValueError:
                    continue
                if day.is_dir() and date < cutoff:
                    shutil.rmtree(day, ignore_errors=True)
                    removed += 1
        if removed:
            _LOG.info("recordings: deleted %d day folder(s) older than %d days", removed, self.retention_days)
        return removed
