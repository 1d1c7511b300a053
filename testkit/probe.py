"""Run a probe script inside another service's environment and read the JSON it prints last.

The Rasa components (Python 3.10, Rasa 3.6) and the resolver (the action server's Python 3.11 with the
encoder) cannot be imported by the test env, so their tests run a short script there, as the service would
run the code, and assert on what it reports.
"""

from __future__ import annotations

import json
import os
import subprocess
from typing import Any

from testkit.dialogue import ROOT, VENVS


def probe_in(env: str, script: str, *args: str, timeout: float = 300) -> Any:
    """`env` is "rasa" or "actions"; fails with the script's own error output when it does not finish cleanly."""
    environ = {**os.environ, "PYTHONPATH": str(ROOT), "TF_CPP_MIN_LOG_LEVEL": "3"}
    done = subprocess.run([str(VENVS / env / "bin" / "python"), "-c", script, *args], cwd=ROOT, env=environ,
                          capture_output=True, text=True, timeout=timeout)  # fmt: skip
    assert done.returncode == 0, done.stderr[-3000:]
    return json.loads(done.stdout.strip().splitlines()[-1])
