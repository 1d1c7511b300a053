"""Shared fixtures: the real dialogue servers, started once per test session."""

from __future__ import annotations

import pytest

from kb import load_knowledge_base
from tests.cards.contract import cards_in_tracker, contract_breaches
from tests.harness import Conversation, DialogueServers

# A Monday morning in term time: the hall is open, and 25 December (closed)
# is within the appointment window, so date rules are testable every day.
PINNED_NOW = "2026-12-14T10:00:00"


@pytest.fixture(scope="session")
def kb():
    return load_knowledge_base()


@pytest.fixture(scope="session")
def dialogue(tmp_path_factory):
    servers = DialogueServers(workdir=tmp_path_factory.mktemp("dialogue"), now=PINNED_NOW).start()
    yield servers
    servers.stop()
    # The card contract (cards/): every card the running dialogue core sent in this test session, to the dialogue,
    # bridge and web tests alike, must validate against the published JSON Schema.
    sent = cards_in_tracker(servers.tracker_db)
    breaches = contract_breaches(sent)
    assert not breaches, f"{len(breaches)} of {len(sent)} cards sent break the card contract: {breaches[:5]}"


@pytest.fixture
def chat(dialogue):
    def _new(**kwargs) -> Conversation:
        return Conversation(dialogue, **kwargs)

    return _new
