"""`python -m avatar_bridge`: serve the kiosk websocket (`/ws`), `/health` and `/metrics`.

Per-kiosk settings come from a YAML file (default config/kiosks.yml), one entry
per kiosk:

  kiosks:
    - kiosk_id: entrance-east    # what the kiosk sends in `hello`
      position: entrance         # its place in data/hall.yml (default: the kiosk_id itself)
      language: en               # default language when `hello` names none
      voice: en_US-joe-medium    # Piper voice (default: the bridge's)
      speaking_rate: 0.95        # 1.0 = the voice's normal pace
      end_silence_s: 0.8         # hands-free: silence that always ends a turn
      asr_model: tiny.en         # tiny.en, base or a CTranslate2 folder (default: --asr-model)
      elderly: false             # start sessions in elderly mode (slower speech, longer pauses allowed)
      mode: hands_free           # input mode when `hello` names none

Kiosks not in the file use the command-line defaults. The protocol is docs/protocol.md.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from avatar_bridge.config import DEFAULT_KIOSK_FILE, BridgeConfig
from avatar_bridge.logs import configure_logging


def main(argv: list[str] | None = None) -> None:
    d = BridgeConfig()
    p = argparse.ArgumentParser(
        prog="python -m avatar_bridge", description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    p.add_argument("--host", default=d.host, help="bind address (default %(default)s)")
    p.add_argument("--port", type=int, default=d.port, help="port (default %(default)s, env LOBBY_BRIDGE_PORT)")
    p.add_argument("--rasa-url", default=d.rasa_url, help="Rasa server base URL (default %(default)s)")
    p.add_argument(
        "--kiosk-config",
        default=str(DEFAULT_KIOSK_FILE) if DEFAULT_KIOSK_FILE.exists() else None,
        help="YAML file with per-kiosk settings (default %(default)s; see above)",
    )
    p.add_argument(
        "--asr-model", default=d.asr_model, help="tiny.en, base or a CTranslate2 folder (default %(default)s)"
    )
    p.add_argument("--tts", default=d.tts, choices=["piper", "espeak"], help="TTS engine (default %(default)s)")
    p.add_argument("--tts-variation", type=float, default=d.tts_variation, help="Piper noise scale (0 = deterministic)")
    p.add_argument("--speaking-rate", type=float, default=d.speaking_rate, help="default rate (default %(default)s)")
    p.add_argument(
        "--end-silence",
        type=float,
        default=d.end_silence_s,
        help="hands-free: seconds of silence that end a turn even if Smart-Turn says it is unfinished "
        "(default %(default)s)",
    )
    p.add_argument(
        "--elderly-end-silence",
        type=float,
        default=d.elderly_end_silence_s,
        help="the same in elderly mode (default %(default)s)",
    )
    p.add_argument(
        "--vad-start",
        type=float,
        default=d.vad_start_s,
        help="speech (s) that starts a turn or a barge-in (default %(default)s)",
    )
    p.add_argument(
        "--vad-stop",
        type=float,
        default=d.vad_stop_s,
        help="pause (s) after which Smart-Turn judges whether the citizen has finished (default %(default)s)",
    )
    p.add_argument(
        "--vad-min-volume",
        type=float,
        default=d.vad_min_volume,
        help="loudness (0-1) speech needs to count for the VAD; higher ignores quieter voices (default %(default)s)",
    )
    p.add_argument(
        "--partial-interval",
        type=float,
        default=d.partial_interval_s,
        help="hands-free partial transcripts every N s of speech, 0 = off (default %(default)s)",
    )
    p.add_argument(
        "--echo-dbfs",
        type=float,
        default=d.echo_dbfs,
        help="while the avatar speaks, quieter speech counts as its own echo (default %(default)s)",
    )
    p.add_argument("--token", default=d.token, help="shared secret the kiosks send in hello (env LOBBY_BRIDGE_TOKEN)")
    p.add_argument(
        "--session-secret",
        default=d.session_secret,
        help="key that signs session ids, so kiosks can resume a conversation after a reconnect, also across "
        "bridge restarts (env LOBBY_BRIDGE_SESSION_SECRET; default: random per process)",
    )
    p.add_argument("--max-sessions", type=int, default=d.max_sessions, help="default %(default)s")
    p.add_argument(
        "--inactivity",
        type=float,
        default=d.inactivity_s,
        help="seconds before a conversation resets (default %(default)s)",
    )
    p.add_argument(
        "--keep-recordings",
        metavar="DIR",
        default=None,
        help="opt-in: keep citizens' utterances (WAV + transcript) here for trainers; off by default",
    )
    p.add_argument(
        "--retention-days",
        type=int,
        default=d.retention_days,
        help="delete kept recordings after this many days (default %(default)s)",
    )
    p.add_argument("--log-level", default="INFO")
    a = p.parse_args(argv)
    configure_logging(a.log_level)
    config = BridgeConfig.with_kiosk_file(
        Path(a.kiosk_config) if a.kiosk_config else None,
        host=a.host,
        port=a.port,
        rasa_url=a.rasa_url,
        asr_model=a.asr_model,
        tts=a.tts,
        tts_variation=a.tts_variation,
        speaking_rate=a.speaking_rate,
        end_silence_s=a.end_silence,
        elderly_end_silence_s=a.elderly_end_silence,
        vad_start_s=a.vad_start,
        vad_stop_s=a.vad_stop,
        vad_min_volume=a.vad_min_volume,
        partial_interval_s=a.partial_interval,
        echo_dbfs=a.echo_dbfs,
        token=a.token,
        session_secret=a.session_secret,
        max_sessions=a.max_sessions,
        inactivity_s=a.inactivity,
        recordings_dir=a.keep_recordings,
        retention_days=a.retention_days,
    )

    import uvicorn

    from avatar_bridge.app import create_app

    uvicorn.run(create_app(config), host=config.host, port=config.port, log_level=a.log_level.lower())


if __name__ == "__main__":
    main()
