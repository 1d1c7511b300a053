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

Kiosks not in the file use the command-line defaults. Every option can also be
given in the environment where one is named (command line wins); the full table
is docs/configuration.md. The protocol is docs/protocol.md.
"""

from __future__ import annotations

import argparse
import os

from avatar_bridge.config import BridgeConfig, ConfigError
from avatar_bridge.logs import configure_logging


def main(argv: list[str] | None = None) -> None:
    parser = BridgeConfig.argument_parser(
        prog="python -m avatar_bridge", description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--log-level", default="INFO")
    args = vars(parser.parse_args(argv))
    log_level = args.pop("log_level")
    configure_logging(log_level)
    try:
        config = BridgeConfig.from_env(os.environ, **args)
    except (ConfigError, ValueError) as exc:  # KioskFileError is a ValueError
        parser.error(str(exc))

    import uvicorn

    from avatar_bridge.app import create_app

    try:
        app = create_app(config)
    except ConfigError as exc:  # e.g. an unreadable kiosk secrets file
        parser.error(str(exc))
    uvicorn.run(
        app,
        host=config.host,
        port=config.port,
        log_level=log_level.lower(),
        proxy_headers=True,
        forwarded_allow_ips=config.forwarded_allow_ips,  # the per-address web limits see the citizen, not the proxy
    )


if __name__ == "__main__":
    main()
