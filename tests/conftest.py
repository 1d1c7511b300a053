"""Shared fixtures: the real dialogue servers, started once per test session (plumbing in testkit/)."""

from __future__ import annotations

import pytest

from kb import load_knowledge_base
from testkit import PINNED_NOW
from testkit.dialogue import Conversation, DialogueServers


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
