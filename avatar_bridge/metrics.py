"""Process-wide counters in Prometheus text format (no client library needed for this handful)."""

from __future__ import annotations

import threading
from collections import Counter

BUCKETS_MS = (100, 200, 300, 500, 800, 1200, 2000, 5000)


class BridgeMetrics:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.active_sessions = 0
        self.sessions_total = 0
        self.refused_total = 0
        self.turns_total = 0
        self.errors: Counter[str] = Counter()
        self.stages: dict[str, list[int]] = {}  # stage -> bucket counts (+inf last)
        self.sums: Counter[str] = Counter()

    def error(self, code: str) -> None:
        with self._lock:
            self.errors[code] += 1

    def turn(self, stages: dict) -> None:
        with self._lock:
            self.turns_total += 1
            for stage, ms in stages.items():
                if ms is None:
                    continue
                counts = self.stages.setdefault(stage, [0] * (len(BUCKETS_MS) + 1))
                for i, bound in enumerate(BUCKETS_MS):
                    if ms <= bound:
                        counts[i] += 1
                counts[-1] += 1
                self.sums[stage] += ms

    def render(self, queues: dict[str, Counter] | None = None) -> str:
        """`queues`: the shared ASR / TTS queues' counters ("<kind>_run", "_dropped", "_refused", "_wait_ms")."""
        with self._lock:
            lines = [
                "# TYPE lobby_bridge_active_sessions gauge",
                f"lobby_bridge_active_sessions {self.active_sessions}",
                "# TYPE lobby_bridge_sessions_total counter",
                f"lobby_bridge_sessions_total {self.sessions_total}",
                "# TYPE lobby_bridge_sessions_refused_total counter",
                f"lobby_bridge_sessions_refused_total {self.refused_total}",
                "# TYPE lobby_bridge_turns_total counter",
                f"lobby_bridge_turns_total {self.turns_total}",
                "# TYPE lobby_bridge_errors_total counter",
            ]
            lines += [f'lobby_bridge_errors_total{{code="{c}"}} {n}' for c, n in sorted(self.errors.items())]
            lines.append("# TYPE lobby_bridge_stage_ms histogram")
            for stage, counts in sorted(self.stages.items()):
                for bound, n in zip((*map(str, BUCKETS_MS), "+Inf"), counts, strict=True):
                    lines.append(f'lobby_bridge_stage_ms_bucket{{stage="{stage}",le="{bound}"}} {n}')
                lines.append(f'lobby_bridge_stage_ms_sum{{stage="{stage}"}} {self.sums[stage]}')
                lines.append(f'lobby_bridge_stage_ms_count{{stage="{stage}"}} {counts[-1]}')
            for queue, counters in sorted((queues or {}).items()):
                lines += _queue_lines(queue, dict(counters))
            return "\n".join(lines) + "\n"


def _queue_lines(queue: str, counters: dict[str, int]) -> list[str]:
    """lobby_bridge_<queue>_jobs_total{kind,outcome} and lobby_bridge_<queue>_wait_ms_sum{kind}."""
    lines = [f"# TYPE lobby_bridge_{queue}_jobs_total counter"]
    waits = [f"# TYPE lobby_bridge_{queue}_wait_ms_sum counter"]
    for key, n in sorted(counters.items()):
        kind, _, outcome = key.rpartition("_")
        if outcome == "ms":
            kind = key.removesuffix("_wait_ms")
            waits.append(f'lobby_bridge_{queue}_wait_ms_sum{{kind="{kind}"}} {n}')
        else:
            lines.append(f'lobby_bridge_{queue}_jobs_total{{kind="{kind}",outcome="{outcome}"}} {n}')
    return lines + waits
