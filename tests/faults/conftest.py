"""Fault fixtures: bridges with a dialogue deadline, against the session's real dialogue servers.

Every fault test leaves the dialogue servers as it found them (running, not stopped), so the tests after it
share them; `servers` checks that after each test and restarts what a failed test left down.
"""

from __future__ import annotations

import os
import signal

import httpx
import pytest

from avatar_bridge.config import BridgeConfig

# These tests prove that a deadline bounds the citizen's wait whatever the failure, and that the turn after the
# failure is answered. They use a deadline longer than the production default (1.5 s, BridgeConfig) because the
# suite's box trains models beside them, where a good turn can take over 2 s and would be cut; how soon the
# apology is shown and heard with the production deadline is measured by `make bench-faults`.
DEADLINE_S = max(5.0, BridgeConfig.rasa_deadline_s)


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
    """A bridge whose whole dialogue turn is bounded by a deadline (DEADLINE_S)."""
    return make_bridge(rasa_deadline_s=DEADLINE_S)
