"""Rasa's own checks pass: training data validation and story tests."""

from __future__ import annotations

import subprocess

import pytest

from testkit.dialogue import ROOT, VENVS, current_model

pytestmark = pytest.mark.slow  # Rasa's own tools, in the Rasa environment, on the trained model

RASA = [str(VENVS / "rasa" / "bin" / "python"), "-m", "nlu.rasa_cli"]
DATA = ["data/nlu", "data/rules.yml", "data/stories.yml"]


def run(args: list[str], tmp_path) -> subprocess.CompletedProcess:
    env = {"PATH": "/usr/bin:/bin", "HOME": str(tmp_path), "PYTHONPATH": str(ROOT), "TF_CPP_MIN_LOG_LEVEL": "2",
           "SQLALCHEMY_SILENCE_UBER_WARNING": "1", "RASA_TELEMETRY_ENABLED": "false",
           "MPLCONFIGDIR": str(tmp_path / "mpl"), "KERAS_HOME": str(tmp_path / "keras")}  # fmt: skip
    return subprocess.run(RASA + args, cwd=ROOT, env=env, capture_output=True, text=True, timeout=600)


def test_training_data_validates_cleanly(tmp_path):
    result = run(["data", "validate", "--domain", "domain.yml", "--data", *DATA, "--fail-on-warnings"], tmp_path)
    assert result.returncode == 0, result.stdout[-4000:] + result.stderr[-4000:]


def test_story_tests_pass(tmp_path):
    result = run(["test", "core", "--model", str(current_model()), "--stories", "tests/stories",
                  "--out", str(tmp_path / "results"), "--fail-on-prediction-errors"], tmp_path)  # fmt: skip
    assert result.returncode == 0, result.stdout[-4000:] + result.stderr[-4000:]
    failed = (tmp_path / "results" / "failed_test_stories.yml").read_text()
    assert "None of the test stories failed" in failed, failed
