"""Bridge fixtures: the real bridge (uvicorn on a free loopback port) against the real dialogue servers.

Models load once per session (tiny.en, deterministic Piper) and are shared by
every bridge server started here; a client speaks protocol v1 over a real websocket.
"""

from __future__ import annotations

import asyncio
import json
import threading
import time
from dataclasses import dataclass, field

import httpx
import numpy as np
import pytest
import soxr
import uvicorn
from websockets.sync.client import connect

from avatar_bridge import protocol
from avatar_bridge.app import Engines, create_app
from avatar_bridge.config import BridgeConfig
from avatar_bridge.logs import configure_logging
from tests.harness import free_port

configure_logging("WARNING")

RECV_TIMEOUT_S = 60  # a generous bound on a loaded 2-core machine, not a latency assertion


class BridgeServer:
    def __init__(self, config: BridgeConfig, engines: Engines):
        self.config = config
        self.app = create_app(config, engines)
        self.server = uvicorn.Server(
            uvicorn.Config(
                self.app,
                host="127.0.0.1",
                port=config.port,
                log_level="warning",
                ws="websockets-sansio",
                lifespan="off",
            )
        )
        self.thread = threading.Thread(target=lambda: asyncio.run(self.server.serve()), daemon=True)

    @property
    def url(self) -> str:
        return f"ws://127.0.0.1:{self.config.port}/ws"

    @property
    def http(self) -> str:
        return f"http://127.0.0.1:{self.config.port}"

    def start(self) -> BridgeServer:
        self.thread.start()
        for _ in range(200):
            try:
                if httpx.get(f"{self.http}/health", timeout=1).status_code == 200:
                    return self
            except httpx.HTTPError:
                pass
            time.sleep(0.1)
        raise RuntimeError("bridge did not start")

    def stop(self) -> None:
        self.server.should_exit = True
        self.thread.join(10)


@dataclass
class Kiosk:
    """A protocol v1 client: collects every message; binary audio is attached to the last `speech`."""

    url: str
    ws: object = None
    messages: list[dict] = field(default_factory=list)
    audio: dict[str, bytearray] = field(default_factory=dict)  # utterance_id -> PCM received
    audio_frames: list[tuple[str | None, int]] = field(default_factory=list)  # (utterance, bytes) in order
    _current: str | None = None

    def __enter__(self) -> Kiosk:
        self.ws = connect(self.url, max_size=2**24, open_timeout=30)
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


@pytest.fixture(scope="session")
def engines():
    from voice.asr import Recognizer
    from voice.tts.piper_engine import PiperEngine

    return Engines(Recognizer("tiny.en"), PiperEngine(variation=0.0))


@pytest.fixture(scope="session")
def make_bridge(engines, dialogue):
    servers = []

    def _make(**overrides) -> BridgeServer:
        overrides.setdefault("rasa_url", dialogue.rasa_url)
        config = BridgeConfig(port=free_port(), **overrides)
        server = BridgeServer(config, engines).start()
        servers.append(server)
        return server

    yield _make
    for server in servers:
        server.stop()


@pytest.fixture(scope="session")
def bridge(make_bridge):
    return make_bridge()


@pytest.fixture
def kiosk(bridge):
    with Kiosk(bridge.url) as k:
        yield k


def speech_pcm16k(engines: Engines, text: str) -> bytes:
    """The question as a citizen's microphone would send it: 16 kHz PCM16, with a little silence around."""
    speech = engines.tts.synthesize(text)
    audio = soxr.resample(speech.audio.astype(np.float32) / 32768, speech.sample_rate, 16000)
    pad = np.zeros(3200, dtype=np.float32)
    audio = np.concatenate([pad, audio, pad])
    return (np.clip(audio, -1, 1) * 32767).astype(np.int16).tobytes()


def hands_free_pcm(engines: Engines, text: str, lead_s: float = 0.3, trail_s: float = 1.5, gain: float = 1.0) -> bytes:
    """A citizen talking to a hands-free kiosk: some room silence, the question, then silence while they wait."""
    speech = engines.tts.synthesize(text)
    audio = soxr.resample(speech.audio.astype(np.float32) / 32768, speech.sample_rate, 16000) * gain
    audio = np.concatenate(
        [np.zeros(int(lead_s * 16000), np.float32), audio, np.zeros(int(trail_s * 16000), np.float32)]
    )
    return (np.clip(audio, -1, 1) * 32767).astype(np.int16).tobytes()


def stream_realtime(kiosk: Kiosk, pcm: bytes, chunk_ms: int = 20) -> None:
    """Send PCM16 16 kHz in chunk_ms frames at the pace a microphone produces them."""
    step = 16 * 2 * chunk_ms
    start = time.perf_counter()
    for n, i in enumerate(range(0, len(pcm), step)):
        kiosk.send(pcm[i : i + step])
        delay = start + (n + 1) * chunk_ms / 1000 - time.perf_counter()
        if delay > 0:
            time.sleep(delay)
