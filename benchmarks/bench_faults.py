"""How long a citizen waits for the apology when a part fails (issue 14 part 5) -> benchmarks/results/faults.json.

The tests in tests/faults prove the behaviour (the documented error, the apology spoken, the next turn
answered, nothing lost); this measures it, against the same real processes and the bridge as deployed
(the production dialogue deadline, BridgeConfig.rasa_deadline_s), `--repeat` times per fault:

* `rasa_hung`: Rasa frozen with SIGSTOP while a question is sent (the deadline must answer);
* `tracker_locked`: the tracker's SQLite database held by `BEGIN EXCLUSIVE` while a question is sent;
* `tracker_disk_full`: the tracker database's own filesystem (a tmpfs; needs root) filled to the last byte;
* `actions_down`: the action server killed (Rasa answers nothing: the bridge's empty-reply rule answers);
* `rasa_killed`: Rasa SIGKILLed while it waits on its action server, timed from the kill (once by default:
  every kill costs a Rasa restart, about a minute, more on a loaded machine).

Per fault: seconds from the question (or the kill) to the `error`, to the apology on screen (`bot_message`)
and to its first audio frame (heard). Also `slow_client`: this process's RSS (the bridge runs in it) before,
at the peak, and after a kiosk that stopped reading was dropped. Nothing asserts; run it niced.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

import httpx

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from benchmarks.environment import environment  # noqa: E402
from testkit.dialogue import DialogueServers  # noqa: E402
from testkit.faults import (  # noqa: E402
    await_apology,
    disk_full,
    hung,
    kill,
    kill_mid_turn,
    locked,
    own_filesystem,
    release_filesystem,
    rss_mb,
    shrink_send_buffers,
    slow_reader,
    wait_for,
    warm,
)
from testkit.kiosk import Kiosk, start_bridge  # noqa: E402

RESULTS = REPO / "benchmarks" / "results" / "faults.json"


def summary(runs: list[dict]) -> dict:
    out: dict = {"n": len(runs)}
    for key in ("error_s", "shown_s", "heard_s"):
        xs = [r[key] for r in runs if r.get(key) is not None]
        if xs:
            out[key] = {"median": round(statistics.median(xs), 3), "max": round(max(xs), 3)}
    out["apologised"] = sum(r["code"] == "dialogue_unavailable" and "sorry" in r["text"].lower() for r in runs)
    return out


def timed(kiosk: Kiosk, question: str, fault) -> dict:
    with fault():
        sent = time.perf_counter()
        kiosk.send({"type": "text", "text": question})
        apology = await_apology(kiosk, sent)
    return {"error_s": apology.error_s, "shown_s": apology.shown_s, "heard_s": apology.heard_s,
            "code": apology.error["code"], "text": apology.bot["text"]}  # fmt: skip


def killed(kiosk: Kiosk, servers: DialogueServers) -> dict:
    apology = kill_mid_turn(kiosk, servers, "what do I need to bring?")
    restart = time.perf_counter()
    servers.start_rasa()
    warm(servers.rasa_url)
    return {"error_s": apology.error_s, "shown_s": apology.shown_s, "heard_s": apology.heard_s,
            "code": apology.error["code"], "text": apology.bot["text"],
            "restart_s": round(time.perf_counter() - restart, 1)}  # fmt: skip


def slow_client(engines, rasa_url: str) -> dict:
    bridge = start_bridge(engines, rasa_url=rasa_url, send_timeout_s=2.0, rasa_deadline_s=30.0)
    try:
        with Kiosk(bridge.url) as k:  # warm the engines first, so their first-use memory is not counted
            k.hello()
            k.turn("my wife just had a baby, what do I need to do?")
        before, peak = rss_mb(), 0.0
        slow = slow_reader(bridge.url)
        slow.hello()
        shrink_send_buffers(bridge)
        started = time.perf_counter()
        for question in ["my wife just had a baby, what do I need to do?", "how do I apply for a passport?"] * 10:
            slow.send({"type": "text", "text": question})

        def dropped() -> bool:
            nonlocal peak
            peak = max(peak, rss_mb())
            return 'code="slow_client"' in httpx.get(f"{bridge.http}/metrics").text

        wait_for(dropped, 300, "the slow kiosk dropped", interval=0.5)
        return {"rss_before_mb": round(before, 1), "rss_peak_mb": round(peak, 1),
                "rss_after_drop_mb": round(rss_mb(), 1), "dropped_after_s": round(time.perf_counter() - started, 1),
                "send_timeout_s": 2.0}  # fmt: skip
    finally:
        bridge.stop()


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--repeat", type=int, default=5)
    p.add_argument("--kills", type=int, default=1)
    p.add_argument("--out", type=Path, default=RESULTS)
    args = p.parse_args(argv)
    from avatar_bridge.app import Engines
    from avatar_bridge.config import BridgeConfig
    from avatar_bridge.logs import configure_logging
    from voice.asr import Recognizer
    from voice.tts.piper_engine import PiperEngine

    configure_logging("ERROR")
    env = environment(("pipecat-ai", "uvicorn"))
    engines = Engines(Recognizer("tiny.en"), PiperEngine(variation=0.0))
    results: dict = {}
    with tempfile.TemporaryDirectory() as tmp:
        own_disk = own_filesystem(Path(tmp) / "db", size_mb=64)
        servers = DialogueServers(workdir=Path(tmp), now="2026-12-14T10:00:00", db_dir=Path(tmp) / "db").start()
        try:
            warm(servers.rasa_url)
            bridge = start_bridge(engines, rasa_url=servers.rasa_url)  # the production deadline
            faults = {
                "rasa_hung": lambda: hung(servers.rasa_proc),
                "tracker_locked": lambda: locked(servers.tracker_db),
            }
            if own_disk:
                faults["tracker_disk_full"] = lambda: disk_full(servers.tracker_db.parent)
            else:
                print("tracker_disk_full: not measured (mounting a tmpfs for the database needs root)")
            with Kiosk(bridge.url) as kiosk:
                kiosk.hello()
                kiosk.turn("how do I apply for a passport?")
                for name, fault in faults.items():
                    results[name] = [timed(kiosk, "what does it cost?", fault) for _ in range(args.repeat)]
                    kiosk.turn("hello")  # the core is back: a good turn between faults
                runs = []
                for _ in range(args.repeat):
                    kill(servers.actions_proc)
                    runs.append(timed(kiosk, "what does it cost?", contextlib.nullcontext))
                    servers.start_actions()
                results["actions_down"] = runs
            bridge.stop()
            kill_bridge = start_bridge(engines, rasa_url=servers.rasa_url, rasa_deadline_s=30.0)
            with Kiosk(kill_bridge.url) as kiosk:
                kiosk.hello()
                kiosk.turn("my wife just had a baby, what do I need to do?")
                results["rasa_killed"] = [killed(kiosk, servers) for _ in range(args.kills)]
            kill_bridge.stop()
            results["slow_client"] = slow_client(engines, servers.rasa_url)
        finally:
            servers.stop()
            release_filesystem(Path(tmp) / "db")
    data = {
        "deadline_s": BridgeConfig.rasa_deadline_s,
        "summary": {k: summary(v) for k, v in results.items() if k != "slow_client"},
        "slow_client": results.get("slow_client"),
        "runs": {k: v for k, v in results.items() if k != "slow_client"},
        "environment": env | {"load_average_at_end": [round(x, 2) for x in os.getloadavg()]},
    }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(data, indent=1))
    print(json.dumps({"summary": data["summary"], "slow_client": data["slow_client"]}, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
