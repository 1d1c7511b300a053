"""The avatar bridge served in a thread, and a kiosk that speaks protocol v1 to it over a real websocket."""

from __future__ import annotations

import json
from dataclasses import dataclass, field

from websockets.sync.client import connect

from avatar_bridge import protocol
from avatar_bridge.app import Engines, create_app
from avatar_bridge.config import BridgeConfig
from testkit.servers import ThreadedServer, free_port

RECV_TIMEOUT_S = 60  # a generous bound on a loaded 2-core machine, not a latency assertion


class BridgeServer(ThreadedServer):
    """The real bridge app (uvicorn on a free loopback port) sharing already loaded speech engines."""

    def __init__(self, config: BridgeConfig, engines: Engines):
        self.config = config
        super().__init__(create_app(config, engines), config.port, ws="websockets-sansio", lifespan="off")

    @property
    def url(self) -> str:
        return f"ws://127.0.0.1:{self.config.port}/ws"


def start_bridge(engines: Engines, **config) -> BridgeServer:
    """A bridge on a free port; `config` overrides BridgeConfig fields (rasa_url, ...)."""
    return BridgeServer(BridgeConfig(port=free_port(), **config), engines).start()


@dataclass
class Kiosk:
    """A protocol v1 client: collects every message; binary audio is attached to the last `speech`.

    Every server message is validated against its JSON schema as it arrives, so any test that talks
    to the bridge also checks the protocol.
    """

    url: str
    ws: object = None
    messages: list[dict] = field(default_factory=list)
    audio: dict[str, bytearray] = field(default_factory=dict)  # utterance_id -> PCM received
    audio_frames: list[tuple[str | None, int]] = field(default_factory=list)  # (utterance, bytes) in order
    origin: str | None = None  # the page's origin, as a browser sends it (None: no Origin header, not a browser)
    headers: dict[str, str] | None = None  # e.g. X-Forwarded-For, as a trusted proxy on the loopback adds it
    ssl: object = None  # an ssl.SSLContext for wss://
    _current: str | None = None

    def __enter__(self) -> Kiosk:
        self.ws = connect(
            self.url,
            origin=self.origin,
            additional_headers=self.headers,
            ssl=self.ssl,
            max_size=2**24,
            open_timeout=30,
        )
        return self

    def __exit__(self, *exc) -> None:
        self.ws.close()

    def send(self, message: dict | str | bytes) -> None:
        self.ws.send(json.dumps(message) if isinstance(message, dict) else message)

    def hello(self, kiosk_id: str = "entrance", **extra) -> dict:
        self.send(
            {
                "type": "hello",
                "protocol": "1",
                "kiosk_id": kiosk_id,
                "language": "en",
                "capabilities": {"audio_in": True, "audio_out": True, "visemes": True, "gestures": True},
            }
            | extra
        )
        return self.wait("session")

    def recv(self) -> dict | None:
        data = self.ws.recv(timeout=RECV_TIMEOUT_S)
        if isinstance(data, bytes):
            self.audio_frames.append((self._current, len(data)))
            if self._current is not None:
                self.audio.setdefault(self._current, bytearray()).extend(data)
            return None
        message = json.loads(data)
        protocol.validate(message, protocol.SERVER_TYPES)  # every server message must match its schema
        self.messages.append(message)
        if message["type"] == "speech":
            self._current = message["utterance_id"]
        elif message["type"] == "speech_end":
            self._current = None
        return message

    def wait(self, kind: str, /, **match) -> dict:
        while True:
            m = self.recv()
            if m and m["type"] == kind and all(m.get(k) == v for k, v in match.items()):
                return m

    def turn(self, text: str) -> dict:
        """Type a question; returns the bot_message after the reply has been spoken (metrics received)."""
        start = len(self.messages)
        self.send({"type": "text", "text": text})
        bot = self.wait("bot_message")
        self.wait("metrics", utterance_id=bot["utterance_id"])  # an interrupted reply before it reports too
        return self.since(start)

    def since(self, start: int) -> dict:
        got = self.messages[start:]
        return {
            "bot": next(m for m in got if m["type"] == "bot_message"),
            "all": got,
            "speech": [m for m in got if m["type"] == "speech"],
            "gestures": [m for m in got if m["type"] == "gesture" and m["utterance_id"]],
        }
