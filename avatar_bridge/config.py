"""Bridge settings: command line / environment, plus an optional per-kiosk YAML file.

The kiosk file (see config/kiosks.yml) holds what differs between kiosks of one
hall: which position of `data/hall.yml` a kiosk stands at (directions and the
pointing gesture are relative to it), its default language, voice, speaking
rate, end-of-speech silence, ASR model and whether it starts in elderly mode.
A kiosk that is not in the file gets the bridge-wide defaults below.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field, fields, replace
from pathlib import Path

import yaml

DEFAULT_KIOSK_FILE = Path(__file__).resolve().parent.parent / "config" / "kiosks.yml"


@dataclass(frozen=True)
class KioskProfile:
    """Settings of one kiosk, applied to every session it opens."""

    kiosk_id: str
    position: str | None = None  # a kiosk id of data/hall.yml; None = the kiosk_id itself, else the hall default
    language: str = "en"
    voice: str | None = None  # Piper voice name or .onnx path; None = the bridge's voice
    speaking_rate: float = 1.0
    end_silence_s: float = 0.8  # hands-free: silence that ends a turn even when Smart-Turn says "unfinished"
    asr_model: str | None = None  # None = the bridge's model
    elderly: bool = False  # start in elderly mode (longer pauses allowed, slower speech)
    mode: str | None = None  # default input mode when hello gives none


KIOSK_KEYS = {f.name for f in fields(KioskProfile)}


class KioskFileError(ValueError):
    """The kiosk file is malformed: the bridge refuses to start rather than guess."""


def load_kiosk_file(path: str | Path) -> dict[str, dict]:
    try:
        data = yaml.safe_load(Path(path).read_text()) or {}
    except (OSError, yaml.YAMLError) as exc:
        raise KioskFileError(f"cannot read kiosk file {path}: {exc}") from None
    kiosks: dict[str, dict] = {}
    for entry in data.get("kiosks") or []:
        if not isinstance(entry, dict) or not entry.get("kiosk_id"):
            raise KioskFileError(f"{path}: every kiosk needs a kiosk_id (got {entry!r})")
        unknown = set(entry) - KIOSK_KEYS
        if unknown:
            raise KioskFileError(
                f"{path}: kiosk {entry['kiosk_id']!r}: unknown keys {sorted(unknown)}; allowed: {sorted(KIOSK_KEYS)}"
            )
        kiosks[entry["kiosk_id"]] = entry
    check_positions(kiosks, path)
    return kiosks


def check_positions(kiosks: dict[str, dict], path: str | Path) -> None:
    """Every position must be a kiosk of data/hall.yml, the single source of the hall's layout."""
    from kb import load_knowledge_base

    known = {k.id for k in load_knowledge_base().hall.kiosks}
    for kiosk_id, entry in kiosks.items():
        position = entry.get("position")
        if position is not None and position not in known:
            raise KioskFileError(
                f"{path}: kiosk {kiosk_id!r}: position {position!r} is not a kiosk of "
                f"data/hall.yml ({', '.join(sorted(known))})"
            )


@dataclass
class BridgeConfig:
    host: str = "127.0.0.1"
    port: int = int(os.environ.get("LOBBY_BRIDGE_PORT", "8765"))
    rasa_url: str = os.environ.get("LOBBY_RASA_URL", f"http://127.0.0.1:{os.environ.get('LOBBY_RASA_PORT', '5005')}")
    asr_model: str = "tiny.en"
    tts: str = "piper"
    tts_variation: float = 1.0  # 0 = deterministic Piper (tests)
    speaking_rate: float = 1.0
    token: str | None = os.environ.get("LOBBY_BRIDGE_TOKEN") or None
    # signs session ids so hello.resume works only for ids this bridge issued; None = random per process
    session_secret: str | None = os.environ.get("LOBBY_BRIDGE_SESSION_SECRET") or None
    max_sessions: int = 8
    inactivity_s: float = 60.0
    max_messages_per_s: int = 20
    audio_rate_margin: float = 1.5  # audio faster than real time x this (after a burst) -> rate_limited
    audio_burst_s: float = 6.0  # seconds of audio a client may send at once (a push-to-talk upload)
    rasa_timeout_s: float = 10.0
    rasa_retries: int = 2
    # hands-free turn taking (Silero VAD + Smart-Turn v3)
    vad_start_s: float = 0.1  # speech that starts a turn / a barge-in (barge-in also needs echo_dbfs)
    vad_stop_s: float = 0.15  # pause that makes Smart-Turn look at the utterance
    vad_min_volume: float = 0.4  # Silero's loudness gate (0-1 of -110..-10 LUFS); Pipecat's 0.6 lags onsets
    end_silence_s: float = 0.8  # silence that ends the turn whatever Smart-Turn says
    elderly_end_silence_s: float = 2.0
    elderly_rate: float = 0.85  # speaking rate multiplier in elderly mode
    partial_interval_s: float = 1.0  # hands-free partial transcripts every N s of speech; 0 = off
    echo_dbfs: float = -35.0  # while the avatar speaks, quieter speech is taken for its own echo
    # privacy: audio is not kept unless a folder is given
    recordings_dir: str | None = None
    retention_days: int = 7
    kiosks: dict[str, dict] = field(default_factory=dict)  # kiosk_id -> KioskProfile fields

    @classmethod
    def with_kiosk_file(cls, path: str | Path | None, **kwargs) -> BridgeConfig:
        config = cls(**kwargs)
        if path:
            config.kiosks = load_kiosk_file(path)
        return config

    def profile(self, kiosk_id: str) -> KioskProfile:
        """This kiosk's settings: its entry in the kiosk file over the bridge defaults."""
        base = KioskProfile(kiosk_id=kiosk_id, speaking_rate=self.speaking_rate, end_silence_s=self.end_silence_s)
        entry = self.kiosks.get(kiosk_id)
        return replace(base, **entry) if entry else base
