"""Fault fixtures: bridges with the production dialogue deadline, against the session's real dialogue servers.

Every fault test leaves the dialogue servers as it found them (running, not stopped), so the tests after it
share them; `servers` checks that after each test and restarts what a failed test left down.
"""

from __future__ import annotations

import os
import signal

import httpx
import pytest

from avatar_bridge.config import BridgeConfig

DEADLINE_S = BridgeConfig.rasa_deadline_s  # the production default (2 s), not the suite's relaxed one


@pytest.fixture
def servers(dialogue):
    yield dialogue
    for proc in (dialogue.actions_proc, dialogue.rasa_proc):  # a test that failed inside `hung` resumed it
        if proc is not None and proc.poll() is None:
            os.killpg(proc.pid, signal.SIGCONT)
    if dialogue.actions_proc.poll() is not None:
        dialogue.start_actions()
    if dialogue.rasa_proc.poll() is not None:
        dialogue.start_rasa()
    assert httpx.get(f"{dialogue.rasa_url}/status", params={"token": dialogue.token}, timeout=60).status_code == 200


@pytest.fixture(scope="module")
def deadline_bridge(make_bridge):
    """A bridge as deployed: the whole dialogue turn bounded by the 2 s deadline."""
    return make_bridge(rasa_deadline_s=DEADLINE_S)
