"""Shared fixtures: the real dialogue servers, started once per test session (plumbing in testkit/).

The quick loop is `pytest -m "not slow"`. A test is slow when it needs the trained dialogue model, a
real Rasa, bridge or trainer server, or a browser: every test that asks for one of SLOW_FIXTURES
(directly or through another fixture) is marked `slow` here, so none can be forgotten; modules that
need the model without these fixtures carry `pytestmark = pytest.mark.slow` themselves.
"""

from __future__ import annotations

import pytest

from kb import load_knowledge_base
from testkit import PINNED_NOW
from testkit.dialogue import Conversation, DialogueServers
from testkit.faults import own_filesystem, release_filesystem
from tests.cards.contract import cards_in_tracker, contract_breaches

SLOW_FIXTURES = {"dialogue", "workspace", "trainer_browser", "browser", "cluster"}


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if SLOW_FIXTURES & set(getattr(item, "fixturenames", ())):
            item.add_marker(pytest.mark.slow)


@pytest.fixture(scope="session")
def kb():
    return load_knowledge_base()


@pytest.fixture(scope="session")
def dialogue(tmp_path_factory):
    workdir = tmp_path_factory.mktemp("dialogue")
    # the tracker database on a small filesystem of its own, so tests/faults can fill its disk (testkit/faults.py)
    own_filesystem(workdir / "db")
    servers = DialogueServers(workdir=workdir, now=PINNED_NOW, db_dir=workdir / "db").start()
    yield servers
    servers.stop()
    # The card contract (cards/): every card the running dialogue core sent in this test session, to the dialogue,
    # bridge and web tests alike, must validate against the published JSON Schema.
    try:
        sent = cards_in_tracker(servers.tracker_db)
    finally:
        release_filesystem(workdir / "db")
    breaches = contract_breaches(sent)
    assert not breaches, f"{len(breaches)} of {len(sent)} cards sent break the card contract: {breaches[:5]}"


@pytest.fixture
def chat(dialogue):
    def _new(**kwargs) -> Conversation:
        return Conversation(dialogue, **kwargs)

    return _new


# The bridge and its speech engines, shared by tests/bridge and tests/web. Models load once per session
# (tiny.en, deterministic Piper); imports are inside so the quick loop does not load the bridge.
@pytest.fixture(scope="session")
def engines():
    from avatar_bridge.app import Engines
    from voice.asr import Recognizer
    from voice.tts.piper_engine import PiperEngine

    return Engines(Recognizer("tiny.en"), PiperEngine(variation=0.0))


@pytest.fixture(scope="session")
def make_bridge(engines, dialogue):
    from avatar_bridge.logs import configure_logging
    from testkit.kiosk import start_bridge

    configure_logging("WARNING")
    servers = []

    def _make(**overrides):
        overrides.setdefault("rasa_url", dialogue.rasa_url)
        # The production deadline (2 s to the apology) is for a box that serves kiosks; the suite's box also
        # trains models in parallel, where a good turn can take longer. tests/faults uses the real deadline.
        overrides.setdefault("rasa_deadline_s", 30.0)
        server = start_bridge(engines, **overrides)
        servers.append(server)
        return server

    yield _make
    for server in servers:
        server.stop()


@pytest.fixture(scope="session")
def bridge(make_bridge):
    return make_bridge()
