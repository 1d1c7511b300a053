"""Bridge settings: command line / environment, plus an optional per-kiosk YAML file."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

import yaml


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
    max_sessions: int = 8
    inactivity_s: float = 60.0
    max_messages_per_s: int = 20
    rasa_timeout_s: float = 10.0
    rasa_retries: int = 2
    kiosks: dict[str, dict] = field(default_factory=dict)  # kiosk_id -> overrides (speaking_rate, language)

    @classmethod
    def with_kiosk_file(cls, path: str | Path | None, **kwargs) -> BridgeConfig:
        config = cls(**kwargs)
        if path:
            data = yaml.safe_load(Path(path).read_text()) or {}
            config.kiosks = {k["kiosk_id"]: k for k in data.get("kiosks", [])}
        return config
