"""How many cases each fuzz target generated, for the summary line in the test output and benchmarks/results.

Kept in a module of its own (not in conftest) so the tests and the reporting hook share one instance.
"""

from __future__ import annotations

import time
from collections import defaultdict
from dataclasses import dataclass, field


@dataclass
class Target:
    cases: int = 0  # frames or requests sent
    bad_inputs: int = 0  # of which the documented answer is a refusal (an error code, a 4xx, a close)
    seconds: float = 0.0


@dataclass
class Tally:
    targets: dict[str, Target] = field(default_factory=lambda: defaultdict(Target))
    failures: dict[str, int] = field(default_factory=lambda: defaultdict(int))

    def case(self, target: str, bad: bool) -> None:
        t = self.targets[target]
        t.cases += 1
        t.bad_inputs += bad

    def timed(self, target: str):
        return _Timer(self.targets[target])


@dataclass
class _Timer:
    target: Target
    start: float = 0.0

    def __enter__(self):
        self.start = time.perf_counter()
        return self

    def __exit__(self, *exc):
        self.target.seconds += time.perf_counter() - self.start


TALLY = Tally()
