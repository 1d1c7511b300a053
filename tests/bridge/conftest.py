"""Bridge fixtures: the real bridge (uvicorn on a free loopback port) against the real dialogue servers.

Models load once per session (tiny.en, deterministic Piper) and are shared by every bridge server
started here; a client (`testkit.kiosk.Kiosk`) speaks protocol v1 over a real websocket.
"""

from __future__ import annotations

import pytest

from avatar_bridge.app import Engines
from avatar_bridge.logs import configure_logging
from testkit.kiosk import Kiosk, start_bridge

configure_logging("WARNING")


@pytest.fixture(scope="session")
def engines():
    from voice.asr import Recognizer
    from voice.tts.piper_engine import PiperEngine

    return Engines(Recognizer("tiny.en"), PiperEngine(variation=0.0))


@pytest.fixture(scope="session")
def make_bridge(engines, dialogue):
    servers = []

    def _make(**overrides):
        overrides.setdefault("rasa_url", dialogue.rasa_url)
        server = start_bridge(engines, **overrides)
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
