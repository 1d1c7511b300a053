"""`python -m avatar_bridge`: serve the kiosk websocket (`/ws`), `/health` and `/metrics`."""

from __future__ import annotations

import argparse

from avatar_bridge.config import BridgeConfig
from avatar_bridge.logs import configure_logging


def main(argv: list[str] | None = None) -> None:
    d = BridgeConfig()
    p = argparse.ArgumentParser(prog="python -m avatar_bridge", description=__doc__)
    p.add_argument("--host", default=d.host, help="bind address (default %(default)s)")
    p.add_argument("--port", type=int, default=d.port, help="port (default %(default)s)")
    p.add_argument("--rasa-url", default=d.rasa_url, help="Rasa server base URL (default %(default)s)")
    p.add_argument("--asr-model", default=d.asr_model, help="tiny.en, base or a CTranslate2 folder")
    p.add_argument("--tts", default=d.tts, choices=["piper", "espeak"], help="TTS engine")
    p.add_argument("--tts-variation", type=float, default=d.tts_variation, help="Piper noise scale (0 = deterministic)")
    p.add_argument("--speaking-rate", type=float, default=d.speaking_rate)
    p.add_argument("--token", default=d.token, help="shared secret the kiosks send in hello (env LOBBY_BRIDGE_TOKEN)")
    p.add_argument("--max-sessions", type=int, default=d.max_sessions)
    p.add_argument("--inactivity", type=float, default=d.inactivity_s, help="seconds before a conversation resets")
    p.add_argument("--kiosk-config", help="YAML file with per-kiosk settings")
    p.add_argument("--log-level", default="INFO")
    a = p.parse_args(argv)
    configure_logging(a.log_level)
    config = BridgeConfig.with_kiosk_file(
        a.kiosk_config, host=a.host, port=a.port, rasa_url=a.rasa_url, asr_model=a.asr_model, tts=a.tts,
        tts_variation=a.tts_variation, speaking_rate=a.speaking_rate, token=a.token, max_sessions=a.max_sessions,
        inactivity_s=a.inactivity)

    import uvicorn

    from avatar_bridge.app import create_app

    uvicorn.run(create_app(config), host=config.host, port=config.port, log_level=a.log_level.lower())


if __name__ == "__main__":
    main()
