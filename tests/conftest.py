"""Shared fixtures: the real dialogue servers, started once per test session."""

from __future__ import annotations

import pytest

from kb import load_knowledge_base
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


@pytest.fixture
def chat(dialogue):
    def _new(**kwargs) -> Conversation:
        return Conversation(dialogue, **kwargs)

    return _new
