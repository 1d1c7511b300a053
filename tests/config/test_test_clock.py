"""The test clock (LOBBY_NOW) cannot freeze a production guide by accident: the action server refuses
to start with it unless LOBBY_ALLOW_TEST_CLOCK=1, and says loudly when it is on."""

from __future__ import annotations

import datetime as dt
import logging
import subprocess

import pytest

from actions.settings import ActionSettings, SettingsError
from testkit.dialogue import ROOT, VENVS
from testkit.servers import free_port

NOW = "2026-12-14T10:00:00"


def test_without_the_test_clock_the_guide_uses_the_real_time():
    assert ActionSettings.from_env({}).now is None


def test_a_pinned_clock_is_refused_unless_allowed():
    with pytest.raises(SettingsError, match="LOBBY_ALLOW_TEST_CLOCK=1"):
        ActionSettings.from_env({"LOBBY_NOW": NOW})
    with pytest.raises(SettingsError, match="LOBBY_ALLOW_TEST_CLOCK=1"):
        ActionSettings.from_env({"LOBBY_NOW": NOW, "LOBBY_ALLOW_TEST_CLOCK": "yes please"})


def test_an_allowed_test_clock_is_used_and_announced_loudly(caplog):
    settings = ActionSettings.from_env({"LOBBY_NOW": NOW, "LOBBY_ALLOW_TEST_CLOCK": "1"})
    assert settings.now == dt.datetime(2026, 12, 14, 10, 0)
    with caplog.at_level(logging.INFO):
        settings.announce()
    loud = [r for r in caplog.records if r.levelno >= logging.WARNING]
    assert loud and "TEST CLOCK ON" in loud[0].getMessage() and NOW in loud[0].getMessage()


def test_a_malformed_test_clock_names_the_variable():
    with pytest.raises(SettingsError, match="LOBBY_NOW='next tuesday' is not an ISO date-time"):
        ActionSettings.from_env({"LOBBY_NOW": "next tuesday", "LOBBY_ALLOW_TEST_CLOCK": "1"})


def test_the_action_server_refuses_to_start_with_an_unallowed_test_clock(tmp_path):
    env = {"PATH": "/usr/bin:/bin", "PYTHONPATH": str(ROOT), "HOME": str(tmp_path), "LOBBY_NOW": NOW,
           "LOBBY_ACTIONS_DB": str(tmp_path / "actions.db")}  # fmt: skip
    cmd = [str(VENVS / "actions" / "bin" / "python"), "-m", "rasa_sdk", "--actions", "actions",
           "--port", str(free_port())]  # fmt: skip
    result = subprocess.run(cmd, cwd=ROOT, env=env, capture_output=True, text=True, timeout=120)
    assert result.returncode != 0
    assert "LOBBY_ALLOW_TEST_CLOCK=1" in result.stdout + result.stderr
