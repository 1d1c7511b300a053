"""Fuzz fixtures and the summary line: how many cases each target generated, and how many failed.

The summary is printed in every run that collected tests/fuzz ("protocol fuzz: N cases (M bad inputs),
0 failures"); with LOBBY_FUZZ_RESULTS=path (as `make fuzz` sets it) it is also written as JSON.
"""

from __future__ import annotations

import json
import os
import platform
import time
from pathlib import Path

import pytest

from tests.fuzz.logwatch import LogWatch
from tests.fuzz.profile import is_long
from tests.fuzz.tally import TALLY

_STARTED = time.time()


@pytest.fixture(scope="module")
def server_log():
    """ERROR lines (and tracebacks) logged by any server in this process while the module runs."""
    watch = LogWatch().start()
    yield watch
    watch.stop()


def pytest_runtest_logreport(report: pytest.TestReport) -> None:
    if report.failed and "tests/fuzz/" in report.nodeid:
        target = Path(report.fspath).stem.removeprefix("test_").removesuffix("_fuzz")
        TALLY.failures[target] += 1


def pytest_terminal_summary(terminalreporter) -> None:
    if not TALLY.targets:
        return
    terminalreporter.section("fuzz")
    for name, target in sorted(TALLY.targets.items()):
        failures = TALLY.failures.get(name.split(":")[0], 0)
        terminalreporter.write_line(
            f"{name} fuzz: {target.cases} cases ({target.bad_inputs} bad inputs) in {target.seconds:.0f} s, "
            f"{failures} failed tests"
        )
    total = sum(t.bad_inputs for t in TALLY.targets.values())
    terminalreporter.write_line(f"all fuzz targets: {total} bad inputs, {sum(TALLY.failures.values())} failed tests")
    path = os.environ.get("LOBBY_FUZZ_RESULTS")
    if path:
        result = {
            "profile": "long" if is_long() else "test",
            "scale": float(os.environ.get("LOBBY_FUZZ_SCALE", "1")),
            "duration_s": round(time.time() - _STARTED, 1),
            "machine": {
                "cpus": os.cpu_count(),
                "python": platform.python_version(),
                "load_average_at_end": [round(x, 2) for x in os.getloadavg()],
            },
            "targets": {
                name: {
                    "cases": t.cases,
                    "bad_inputs": t.bad_inputs,
                    "seconds": round(t.seconds, 1),
                    "failed_tests": TALLY.failures.get(name.split(":")[0], 0),
                }
                for name, t in sorted(TALLY.targets.items())
            },
            "bad_inputs_total": total,
            "failed_tests": sum(TALLY.failures.values()),
        }
        Path(path).parent.mkdir(parents=True, exist_ok=True)
        Path(path).write_text(json.dumps(result, indent=2) + "\n")
        terminalreporter.write_line(f"fuzz results written to {path}")
