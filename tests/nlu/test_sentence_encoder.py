"""The sentence encoder shared by the NLU pipeline and the action server.

It runs in the Rasa env (Python 3.10) and in the actions env (Python 3.11), not in the app env the
tests run in, so each check runs a small script with that env's Python, on the real weights in
models/encoder (assembled by set-up).
"""

from __future__ import annotations

import json
import os
import subprocess

import pytest

from testkit.dialogue import ROOT, VENVS

ENVS = ["rasa", "actions"]

PROBE = """
import json, sys
import numpy as np
from sentence_encoder import SentenceEncoder
enc = SentenceEncoder()
questions = enc.query(["my wife just had a baby, what do we need to do", "my father passed away last week"])
services = enc.passage(["Newborn one-stop service: birth certificate, hukou and medical insurance for the baby",
                        "After-death one-stop service: death registration, cancelling the hukou, funeral subsidy"])
print(json.dumps({
    "shape": list(questions.shape), "dtype": str(questions.dtype),
    "norms": np.linalg.norm(np.vstack([questions, services]), axis=1).tolist(),
    "scores": (questions @ services.T).tolist(),
    "single": list(enc.query("hello").shape), "empty": list(enc.passage([]).shape),
}))
"""


def run(env: str, code: str, **extra: str) -> subprocess.CompletedProcess:
    environ = {**os.environ, "PYTHONPATH": str(ROOT), **extra}
    return subprocess.run([str(VENVS / env / "bin" / "python"), "-c", code], cwd=ROOT, env=environ,
                          capture_output=True, text=True, timeout=120)  # fmt: skip


@pytest.mark.parametrize("env", ENVS)
def test_questions_land_nearest_the_service_they_are_about(env: str) -> None:
    result = run(env, PROBE)
    assert result.returncode == 0, result.stderr
    out = json.loads(result.stdout)
    assert out["shape"] == [2, 384] and out["dtype"] == "float32"
    assert all(abs(n - 1.0) < 1e-4 for n in out["norms"]), "vectors must be L2-normalised (dot = cosine)"
    (birth_newborn, birth_death), (death_newborn, death_death) = out["scores"]
    assert birth_newborn > birth_death, "a birth question must be nearer the newborn service"
    assert death_death > death_newborn, "a death question must be nearer the after-death service"
    assert out["single"] == [384] and out["empty"] == [0, 384]


@pytest.mark.parametrize("env", ENVS)
def test_missing_weights_say_how_to_fix_it(env: str, tmp_path) -> None:
    result = run(env, "from sentence_encoder import SentenceEncoder; SentenceEncoder()",
                 LOBBY_WEIGHTS_DIR=str(tmp_path))  # fmt: skip
    assert result.returncode != 0
    assert "EncoderNotInstalledError" in result.stderr
    assert "make setup" in result.stderr and str(tmp_path) in result.stderr


def test_set_up_verifies_the_assembled_weights(tmp_path) -> None:
    """A damaged weights file is found by the sha256 check and replaced by a good copy."""
    good = run("rasa", "from sentence_encoder.weights import main; raise SystemExit(main(['verify']))")
    assert good.returncode == 0, good.stdout + good.stderr
    target = tmp_path / "encoder" / "e5-small-q4.bin"
    install = (
        f"from sentence_encoder.weights import main; raise SystemExit(main(['install', '--models-dir', '{tmp_path}']))"
    )
    assert run("rasa", install).returncode == 0
    with target.open("r+b") as handle:  # flip one byte, keep the size
        handle.seek(1000)
        byte = handle.read(1)
        handle.seek(1000)
        handle.write(bytes([byte[0] ^ 0xFF]))
    verify = (
        f"from sentence_encoder.weights import main; raise SystemExit(main(['verify', '--models-dir', '{tmp_path}']))"
    )
    damaged = run("rasa", verify)
    assert damaged.returncode == 1 and "does not match" in damaged.stderr
    assert run("rasa", install).returncode == 0
    assert run("rasa", verify).returncode == 0
