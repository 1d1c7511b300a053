"""Hypothesis settings for the fuzz tests: a bounded, reproducible run in `make test`, a long random one in
`make fuzz`.

`LOBBY_FUZZ_PROFILE=long` (what `make fuzz` sets) multiplies every test's example count by LONG_FACTOR and
draws fresh random inputs each run; the default profile is derandomized, so the suite is the same on
every machine and a failure in CI reproduces locally. `LOBBY_FUZZ_SCALE` scales either (e.g. 0.2 for a
quick look).
"""

from __future__ import annotations

import os

from hypothesis import HealthCheck, Phase, settings

LONG_FACTOR = 13  # ~55,000 bad inputs in all (measured: 10,593 at 0.1 × the old 25)


def is_long() -> bool:
    return os.environ.get("LOBBY_FUZZ_PROFILE", "").lower() == "long"


def examples(count: int) -> int:
    scale = float(os.environ.get("LOBBY_FUZZ_SCALE", "1")) * (LONG_FACTOR if is_long() else 1)
    return max(1, round(count * scale))


def fuzz_settings(count: int, **extra) -> settings:
    """`count` examples in `make test` (derandomized), LONG_FACTOR × as many random ones in `make fuzz`."""
    return settings(
        max_examples=examples(count),
        derandomize=not is_long(),
        database=None,  # no example database under the source tree; a failure prints its reproduction
        deadline=None,  # real servers on a shared 2-core machine: time is measured in benchmarks, not here
        suppress_health_check=list(HealthCheck),
        print_blob=True,
        # No shrinking: every step talks to real servers, and shrinking a failure took over 5 minutes. The
        # failing case is reported as generated (each assertion names the frame it is about).
        phases=[Phase.explicit, Phase.reuse, Phase.generate],
        **extra,
    )
