"""Bridge settings: one object (BridgeConfig), read once at start-up from the command line and the
environment, plus an optional per-kiosk YAML file.

Each field is declared once, with its help text and (where it has one) its
environment variable; `python -m avatar_bridge`'s options are generated from the
fields (`argument_parser`), so a new setting is one line here. Precedence:
command line > environment > default. Nothing is read at import time.

The kiosk file (see config/kiosks.yml) holds what differs between kiosks of one
hall: which position of `data/hall.yml` a kiosk stands at (directions and the
pointing gesture are relative to it), its default language, voice, speaking
rate, end-of-speech silence, ASR model, whether it starts in elderly mode and
whether the session language follows the language citizens speak.
A kiosk that is not in the file gets the bridge-wide defaults below.
"""

from __future__ import annotations

import argparse
import os
import typing
from collections.abc import Callable, Mapping
from dataclasses import MISSING, dataclass, field, fields, replace
from pathlib import Path
from typing import Any

import yaml

DEFAULT_KIOSK_FILE = Path(__file__).resolve().parent.parent / "config" / "kiosks.yml"


@dataclass(frozen=True)
class KioskProfile:
    """Settings of one kiosk, applied to every session it opens."""

    kiosk_id: str
    position: str | None = None  # a kiosk id of data/hall.yml; None = the kiosk_id itself (not a hall kiosk: the web)
    language: str = "en"
    voice: str | None = None  # Piper voice name or .onnx path; None = the bridge's voice
    speaking_rate: float = 1.0
    end_silence_s: float = 0.8  # hands-free: silence that ends a turn even when Smart-Turn says "unfinished"
    asr_model: str | None = None  # None = the bridge's model
    elderly: bool = False  # start in elderly mode (longer pauses allowed, slower speech)
    mode: str | None = None  # default input mode when hello gives none
    follow_language: bool = False  # a spoken turn in the other language (en/zh) switches the session to it


KIOSK_KEYS = {f.name for f in fields(KioskProfile)}


class KioskFileError(ValueError):
    """The kiosk file is malformed: the bridge refuses to start rather than guess."""


def load_kiosk_file(path: str | Path, kb_dir: str | Path | None = None) -> dict[str, dict]:
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
    check_positions(kiosks, path, kb_dir)
    return kiosks


def check_positions(kiosks: dict[str, dict], path: str | Path, kb_dir: str | Path | None = None) -> None:
    """Every position must be a kiosk of the knowledge base's hall.yml, the single source of the hall's layout."""
    from kb import load_knowledge_base

    known = {k.id for k in load_knowledge_base(kb_dir).hall.kiosks}
    for kiosk_id, entry in kiosks.items():
        position = entry.get("position")
        if position is not None and position not in known:
            raise KioskFileError(
                f"{path}: kiosk {kiosk_id!r}: position {position!r} is not a kiosk of "
                f"data/hall.yml ({', '.join(sorted(known))})"
            )


class ConfigError(ValueError):
    """A setting has a value the bridge cannot use: it refuses to start and names the setting."""


DEFAULT_RASA_PORT = 5005
# Admission limits from `make bench-capacity` (benchmarks/results/capacity.json, capacity_push_to_talk.json; the
# reasoning is in docs/benchmarks.md, "Capacity per box"). Measured on a 2-core box shared with four other workers,
# where no N held voice-to-voice p95 <= 1.2 s: 4 hands-free kiosks came closest (p50 0.63 s, p95 1.34 s; 8 gave
# p95 ~2 s), and 8 push-to-talk kiosks were all answered (p50 0.68 s, p95 2.2 s; 16 gave p95 6.1 s). Re-run the
# benchmark on the production box, alone, and set these from its capacity line.
MEASURED_MAX_HANDS_FREE = 4
MEASURED_MAX_SESSIONS = 8


def rasa_url_from_env(env: Mapping[str, str] = os.environ) -> str:
    """The dialogue core's base URL: LOBBY_RASA_URL, else http://127.0.0.1:$LOBBY_RASA_PORT (the one place the
    bridge reads either)."""
    if env.get("LOBBY_RASA_URL"):
        return env["LOBBY_RASA_URL"].rstrip("/")
    port = env.get("LOBBY_RASA_PORT") or str(DEFAULT_RASA_PORT)
    if not port.isdigit() or not 0 < int(port) < 65536:
        raise ConfigError(f"LOBBY_RASA_PORT={port!r} is not a port number")
    return f"http://127.0.0.1:{port}"


def option(
    default: Any,
    help: str,
    *,
    env: str | None = None,
    from_env: Callable[[Mapping[str, str]], Any] | None = None,
    flag: str | None = None,
    choices: tuple[str, ...] | None = None,
    metavar: str | None = None,
) -> Any:
    """A setting: its default, its --help text, and where the environment may set it."""
    return field(
        default=default,
        metadata={"help": help, "env": env, "from_env": from_env, "flag": flag, "choices": choices,
                  "metavar": metavar},
    )  # fmt: skip


@dataclass
class BridgeConfig:
    host: str = option("127.0.0.1", "bind address")
    port: int = option(8765, "port", env="LOBBY_BRIDGE_PORT")
    rasa_url: str = option(
        f"http://127.0.0.1:{DEFAULT_RASA_PORT}",
        "Rasa server base URL; several, comma-separated, are one dialogue core: each conversation keeps to one "
        "instance (consistent hashing) and moves to the next only when its own does not answer",
        env="LOBBY_RASA_URL / LOBBY_RASA_PORT",
        from_env=rasa_url_from_env,
    )
    kb_dir: str | None = option(
        None,
        "knowledge base folder (services/, hall.yml) for cards, kiosk positions and directions; must be the one the "
        "action server uses (default: data/)",
        env="LOBBY_KB_DIR",
        metavar="DIR",
    )
    kiosk_file: str | None = option(
        None,
        "YAML file with per-kiosk settings (see above); at start-up config/kiosks.yml when it exists",
        flag="--kiosk-config",
        metavar="FILE",
    )
    asr_model: str = option("tiny.en", "tiny.en, base or a CTranslate2 folder")
    tts: str = option("piper", "TTS engine", choices=("piper", "espeak"))
    tts_variation: float = option(1.0, "Piper noise scale (0 = deterministic, for tests)")
    speaking_rate: float = option(1.0, "default speaking rate (1.0 = the voice's normal pace)")
    token: str | None = option(None, "shared secret the kiosks send in hello", env="LOBBY_BRIDGE_TOKEN")
    session_secret: str | None = option(
        None,
        "key that signs session ids, so kiosks can resume a conversation after a reconnect, also across bridge "
        "restarts (default: random per process)",
        env="LOBBY_BRIDGE_SESSION_SECRET",
    )
    redis_url: str | None = option(
        None,
        "Redis for the session registry shared by several bridges (redis://host:port/db), so a kiosk resumes its "
        "conversation on another bridge; give all of them the same --session-secret (default: in this process)",
        env="LOBBY_REDIS_URL",
        metavar="URL",
    )
    # Admission limits: measured with `make bench-capacity` (docs/benchmarks.md, "Capacity per box"), see MEASURED_*
    max_sessions: int = option(
        MEASURED_MAX_SESSIONS, "kiosks served at once (measured capacity); more are refused with too_many_sessions"
    )
    max_hands_free: int = option(
        MEASURED_MAX_HANDS_FREE,
        "hands-free kiosks served at once (measured capacity); more are served push-to-talk (hands_free_unavailable)",
    )
    inactivity_s: float = option(60.0, "seconds of inactivity before a conversation resets")
    # who may connect, and what the anonymous web may use (issue 14; avatar_bridge/access.py, docs/security.md)
    kiosk_secrets_file: str | None = option(
        None,
        "YAML file of one secret per kiosk (kiosks: {id: secret}), re-read when it changes; a kiosk id listed there "
        "must prove itself with its secret (hello.token), any other id is an anonymous web session "
        "(default: none, then every client is a kiosk and --token is shared)",
        env="LOBBY_KIOSK_SECRETS_FILE",
        flag="--kiosk-secrets",
        metavar="FILE",
    )
    admin_token_file: str | None = option(
        None,
        "file holding the administrators' bearer token (one word, 16+ characters), re-read when it changes; enables "
        "POST /admin/sessions/{id}/end and /admin/sessions/end-all (python -m avatar_bridge.admin); without a token "
        "those routes do not exist (404)",
        env="LOBBY_BRIDGE_ADMIN_TOKEN_FILE",
        metavar="FILE",
    )
    admin_token: str | None = option(
        None,
        "the administrators' bearer token itself, instead of --admin-token-file (prefer the environment or the "
        "file: a command line is visible to other users of the machine)",
        env="LOBBY_BRIDGE_ADMIN_TOKEN",
    )
    allowed_origins: str = option(
        "",
        "comma-separated web origins (https://city.example.gov) whose pages may open a websocket; the bridge's own "
        "pages always may; others get HTTP 403 in the handshake",
        env="LOBBY_ALLOWED_ORIGINS",
        metavar="ORIGINS",
    )
    web_mode: str = option("voice", "what web sessions may use", env="LOBBY_WEB_MODE", choices=("text", "voice"))
    web_max_sessions: int = option(4, "web sessions at once (too_many_web_sessions)", env="LOBBY_WEB_MAX_SESSIONS")
    web_sessions_per_address: int = option(2, "web sessions from one client address (too_many_from_address)")
    web_turns_per_minute: int = option(12, "questions a web session may ask per minute (turn_limit)")
    web_audio_s: float = option(120.0, "seconds of audio one web session may send (audio_limit)")
    hello_timeout_s: float = option(10.0, "a connection without a valid hello is closed after this (hello_timeout)")
    session_max_s: float = option(
        3600.0, "absolute lifetime of a conversation: then it renews (session reason `expired`), 0 = none"
    )
    forwarded_allow_ips: str = option(
        "127.0.0.1",
        "proxies (comma-separated IPs, * = any) whose X-Forwarded-For names the client's address",
        env="FORWARDED_ALLOW_IPS",
        metavar="IPS",
    )
    max_messages_per_s: int = option(20, "control messages per second a client may send", flag="--max-messages")
    audio_rate_margin: float = option(1.5, "audio faster than real time x this (after a burst) is rate_limited")
    audio_burst_s: float = option(6.0, "seconds of audio a client may send at once (a push-to-talk upload)")
    rasa_timeout_s: float = option(10.0, "seconds to wait for the dialogue core per attempt")
    rasa_retries: int = option(2, "retries (with back-off) when the dialogue core fails")
    rasa_deadline_s: float = option(
        1.5,
        "seconds a whole dialogue turn may take, every attempt included: past it the citizen hears the apology "
        "(dialogue_unavailable); 0 = no deadline",
    )
    send_timeout_s: float = option(
        10.0,
        "seconds a send to a client may wait (a client that stops reading): past it the connection is dropped "
        "and counted as slow_client; 0 = no limit",
    )
    # hands-free turn taking (Silero VAD + Smart-Turn v3)
    vad_start_s: float = option(0.1, "speech (s) that starts a turn or a barge-in")
    vad_stop_s: float = option(0.15, "pause (s) after which Smart-Turn judges whether the citizen has finished")
    vad_min_volume: float = option(
        0.4, "loudness (0-1) speech needs to count for the VAD; higher ignores quieter voices (Pipecat's 0.6 lags)"
    )
    end_silence_s: float = option(
        0.8, "hands-free: seconds of silence that end a turn even if Smart-Turn says it is unfinished"
    )
    elderly_end_silence_s: float = option(2.0, "the same in elderly mode")
    elderly_rate: float = option(0.85, "speaking rate multiplier in elderly mode")
    partial_interval_s: float = option(1.0, "hands-free partial transcripts every N s of speech, 0 = off")
    tts_later_slack_s: float = option(
        0.5, "a reply's later sentence waits behind first sentences of other replies for at most this long"
    )
    echo_dbfs: float = option(-35.0, "while the avatar speaks, quieter speech counts as its own echo")
    # privacy: audio is not kept unless a folder is given
    recordings_dir: str | None = option(
        None,
        "opt-in: keep citizens' utterances (WAV + transcript) here for trainers; off by default",
        flag="--keep-recordings",
        metavar="DIR",
    )
    retention_days: int = option(7, "delete kept recordings after this many days")
    kiosks: dict[str, dict] = field(default_factory=dict)  # kiosk_id -> KioskProfile fields (from kiosk_file)

    @classmethod
    def with_kiosk_file(cls, path: str | Path | None, **kwargs) -> BridgeConfig:
        config = cls(**kwargs)
        if path:
            config.kiosks = load_kiosk_file(path, config.kb_dir)
        return config

    # --- start-up: environment and command line ---------------------------------------------------------------
    @classmethod
    def options(cls) -> list[tuple[str, type, dict]]:
        """(field name, value type, metadata) of every setting."""
        hints = typing.get_type_hints(cls)
        out = []
        for f in fields(cls):
            if "help" not in f.metadata:
                continue
            kind = next((t for t in typing.get_args(hints[f.name]) if t is not type(None)), hints[f.name])
            out.append((f.name, kind, dict(f.metadata)))
        return out

    @classmethod
    def from_env(cls, env: Mapping[str, str] = os.environ, **overrides: Any) -> BridgeConfig:
        """Defaults, then the environment, then `overrides`; the kiosk file is loaded and checked."""
        values: dict[str, Any] = {}
        for name, kind, meta in cls.options():
            if meta["from_env"] is not None:
                values[name] = meta["from_env"](env)
            elif meta["env"] and env.get(meta["env"]):
                values[name] = _convert(kind, env[meta["env"]], meta["env"])
        values.update(overrides)
        if "kiosk_file" not in values and DEFAULT_KIOSK_FILE.exists():
            values["kiosk_file"] = str(DEFAULT_KIOSK_FILE)
        return cls.with_kiosk_file(values.get("kiosk_file"), **values)

    @classmethod
    def argument_parser(cls, **parser_kwargs: Any) -> argparse.ArgumentParser:
        """One option per setting, generated from the fields (defaults shown after the environment is applied)."""
        p = argparse.ArgumentParser(**parser_kwargs)
        for name, kind, meta in cls.options():
            flag = meta["flag"] or "--" + name.removesuffix("_s").replace("_", "-")
            env = f", env {meta['env']}" if meta["env"] else ""
            p.add_argument(
                flag,
                dest=name,
                type=kind if kind in (int, float) else str,
                default=argparse.SUPPRESS,
                choices=meta["choices"],
                metavar=meta["metavar"] or {int: "N", float: "X"}.get(kind, "TEXT"),
                help=f"{meta['help']} (default: {_default(cls, name)}{env})",
            )
        return p

    def profile(self, kiosk_id: str) -> KioskProfile:
        """This kiosk's settings: its entry in the kiosk file over the bridge defaults."""
        base = KioskProfile(kiosk_id=kiosk_id, speaking_rate=self.speaking_rate, end_silence_s=self.end_silence_s)
        entry = self.kiosks.get(kiosk_id)
        return replace(base, **entry) if entry else base

    def mode(self, kiosk_id: str) -> str | None:
        """This kiosk's default input mode, if its profile names one."""
        entry = self.kiosks.get(kiosk_id)
        return entry.get("mode") if entry else None


def _default(cls: type, name: str) -> Any:
    f = next(f for f in fields(cls) if f.name == name)
    return None if f.default is MISSING else f.default


def _convert(kind: type, text: str, source: str) -> Any:
    try:
        return kind(text) if kind in (int, float) else text
    except ValueError:
        raise ConfigError(f"{source}={text!r} is not {'a whole number' if kind is int else 'a number'}") from None
