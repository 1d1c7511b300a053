"""Trainer benchmark: time from "annotate" to "live" for one new example, and inbox page load with
10,000 conversations in the tracker store.

Not a test: it measures and writes benchmarks/results/trainer.json plus the trainer section of
docs/benchmarks.md. Works on a temporary copy of the project and its own Rasa + action servers;
the repository's data/ and models/ are not changed.

    python -m benchmarks.bench_trainer [--conversations 10000] [--skip-loop]
"""

from __future__ import annotations

import argparse
import json
import os
import random
import re
import sqlite3
import tempfile
import time
from pathlib import Path

import httpx

from benchmarks.docs_section import write_section
from testkit.dialogue import ROOT, DialogueServers
from testkit.trainer import TrainerServer, copy_project
from trainer import annotate as ops
from trainer import auth, jobs, models
from trainer.config import Settings
from trainer.state import State

RESULTS = ROOT / "benchmarks" / "results" / "trainer.json"
DOC = ROOT / "docs" / "benchmarks.md"
NOW = "2026-12-14T10:00:00"
NEW_EXAMPLE = ("hall_hours", "is the hall still open at half past five on a friday")
USER_TEXTS = [
    ("when do you open", "hall_hours", 0.93), ("my wife just had a baby, what do I need to do?", "ask_service", 0.99),
    ("where is the toilet", "facilities", 0.97), ("blah blah purple", "nlu_fallback", 0.45),
    ("I want a human", "human_handoff", 0.88), ("how much does the passport cost", "ask_fee", 0.95),
    ("can I do it online", "ask_online", 0.57), ("thanks bye", "goodbye", 0.91),
]  # fmt: skip
# One conversation in four is in Chinese (kiosk language zh), so the language filter has both to sort.
ZH_TEXTS = [
    ("你们几点开门", "hall_hours", 0.9), ("我老婆刚生了孩子，要办什么手续", "ask_service", 0.95),
    ("厕所在哪里", "facilities", 0.96), ("呃那个什么来着", "nlu_fallback", 0.4), ("我要找人工", "human_handoff", 0.86),
    ("办护照多少钱", "ask_fee", 0.93), ("网上能办吗", "ask_online", 0.6), ("谢谢再见", "goodbye", 0.92),
]  # fmt: skip


def make_tracker(path: Path, conversations: int, seed: int = 7) -> int:
    """A tracker store in Rasa's SQL schema with realistic events (3 turns per conversation)."""
    rng = random.Random(seed)
    db = sqlite3.connect(path)
    db.execute("CREATE TABLE events (id INTEGER NOT NULL PRIMARY KEY, sender_id VARCHAR(255) NOT NULL, "
               "type_name VARCHAR(255) NOT NULL, timestamp FLOAT, intent_name VARCHAR(255), action_name VARCHAR(255), "
               "data TEXT)")  # fmt: skip
    db.execute("CREATE INDEX ix_events_sender_id ON events (sender_id)")
    rows = []
    start = time.time() - 30 * 86400
    for n in range(conversations):
        sender = f"bench-{n:05d}"
        ts = start + n * (30 * 86400 / conversations)
        kiosk = rng.choice(["entrance", "east", "upstairs", None])
        chinese = rng.random() < 0.25
        meta = {"kiosk_id": kiosk, "channel": "kiosk", "language": "zh" if chinese else "en"} if kiosk else {}
        channel = "rest" if kiosk or rng.random() < 0.5 else "socketio"
        rows.append((sender, "action", ts, None, "action_session_start", json.dumps({"event": "action",
                     "timestamp": ts, "name": "action_session_start"})))  # fmt: skip
        rows.append((sender, "session_started", ts, None, None, json.dumps({"event": "session_started"})))
        for _ in range(3):
            text, intent, conf = rng.choice(ZH_TEXTS if chinese else USER_TEXTS)
            conf = max(0.05, min(1.0, conf + rng.uniform(-0.2, 0.05)))
            ts += rng.uniform(3, 20)
            ranking = [{"name": intent, "confidence": conf}, {"name": "greet", "confidence": (1 - conf) / 2}]
            data = {"event": "user", "timestamp": ts, "metadata": {**meta, "model_id": "x"}, "text": text,
                    "parse_data": {"intent": {"name": intent, "confidence": conf}, "entities": [], "text": text,
                                   "intent_ranking": ranking}, "input_channel": channel}  # fmt: skip
            rows.append((sender, "user", ts, intent, None, json.dumps(data, ensure_ascii=False)))
            action = {"nlu_fallback": "action_two_stage_fallback", "human_handoff": "action_human_handoff"}.get(
                intent, "action_hall_hours"
            )
            rows.append((sender, "action", ts, None, action, json.dumps({"event": "action", "name": action})))
            rows.append((sender, "bot", ts, None, None, json.dumps({"event": "bot", "text": "A reply " * 12})))
            rows.append((sender, "action", ts, None, "action_listen", json.dumps({"event": "action",
                         "name": "action_listen"})))  # fmt: skip
    db.executemany("INSERT INTO events (sender_id, type_name, timestamp, intent_name, action_name, data) "
                   "VALUES (?, ?, ?, ?, ?, ?)", rows)  # fmt: skip
    db.commit()
    db.close()
    return len(rows)


def _signed_in(url: str, user: str, password: str) -> httpx.Client:
    client = httpx.Client(base_url=url, timeout=120, follow_redirects=True)
    token = re.search(r'name="csrf_token" value="([^"]+)"', client.get("/login").text).group(1)
    form = {"username": user, "password": password, "csrf_token": token, "next": "/audit"}  # not the inbox yet
    client.post("/login", data=form).raise_for_status()
    return client


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(q / 100 * (len(ordered) - 1))))]


def bench_inbox(tmp: Path, conversations: int) -> dict:
    project = copy_project(tmp / "inbox-project", weaken=False, epochs=None)
    tracker_db = tmp / "tracker.db"
    print(f"writing {conversations} conversations into a tracker store ...", flush=True)
    events = make_tracker(tracker_db, conversations)
    settings = Settings(project=project, tracker_url=f"sqlite:///{tracker_db}", rasa_url="http://127.0.0.1:9",
                        rasa_token="x", state_dir=project / "var" / "trainer")  # fmt: skip
    settings.ensure_dirs()
    auth.add_user(State.open(settings.state_db_url), "bench", "inbox-timing-phrase", "admin")
    server = TrainerServer(settings).start()
    try:
        client = _signed_in(server.url, "bench", "inbox-timing-phrase")
        start = time.perf_counter()
        first = client.get("/inbox")
        first.raise_for_status()
        cold = (time.perf_counter() - start) * 1000
        assert f"{conversations} conversations" in first.text
        out = {"conversations": conversations, "events": events, "first_load_with_indexing_ms": round(cold)}
        for label, path in (("inbox", "/inbox"), ("low_confidence", "/inbox?below=0.6"),
                            ("kiosk_fallback", "/inbox?channel=kiosk&fallback=yes&reviewed=no"),
                            ("intent_filter", "/inbox?intent=human_handoff"),
                            ("language_filter", "/inbox?language=zh"),
                            ("conversation", "/conversations/bench-05000")):  # fmt: skip
            times = []
            for _ in range(20):
                start = time.perf_counter()
                client.get(path).raise_for_status()
                times.append((time.perf_counter() - start) * 1000)
            out[label] = {"p50_ms": round(pct(times, 50), 1), "p95_ms": round(pct(times, 95), 1)}
            print(f"  {label}: p50 {out[label]['p50_ms']} ms", flush=True)
        return out
    finally:
        server.stop()


def bench_loop(tmp: Path) -> dict:
    """annotate → validate → train → evaluate → activate, one new example, the production config."""
    project = copy_project(tmp / "loop-project", weaken=False, epochs=None)
    print("starting the action server and Rasa with the current model ...", flush=True)
    servers = DialogueServers(workdir=tmp / "servers", now=NOW).start()
    try:
        settings = Settings(project=project, tracker_url=f"sqlite:///{servers.tracker_db}",
                            rasa_url=servers.rasa_url, rasa_token=servers.token,
                            state_dir=project / "var" / "trainer", rasa_cache_dir=ROOT / ".rasa" / "cache")  # fmt: skip
        settings.ensure_dirs()
        state = State.open(settings.state_db_url)
        phases: dict[str, float] = {}
        t0 = time.monotonic()
        ops.annotate(settings, state, "bench", NEW_EXAMPLE[1], NEW_EXAMPLE[0])
        phases["annotate_s"] = round(time.monotonic() - t0, 2)
        job = jobs.create(settings, state, "train", "bench")
        marks: dict[str, float] = {}

        def echo(line: str) -> None:
            if line.startswith("== "):
                marks[line[3:].split(" ")[0]] = time.monotonic()
            print(f"  {line}", flush=True)

        out = jobs.run(settings, state, job, echo=echo)
        if out["status"] != "succeeded":
            raise RuntimeError(out)
        t_eval_done = time.monotonic()
        phases["validate_s"] = round(marks["train"] - marks["export"], 1)
        phases["train_s"] = round(marks["evaluate"] - marks["train"], 1)
        phases["evaluate_s"] = round(t_eval_done - marks["evaluate"], 1)
        t1 = time.monotonic()
        models.activate(settings, state, out["model"], "bench", override_reason="benchmark run")
        phases["activate_s"] = round(time.monotonic() - t1, 1)
        phases["total_s"] = round(time.monotonic() - t0, 1)
        reply = httpx.post(f"{servers.rasa_url}/model/parse", params={"token": servers.token},
                           json={"text": NEW_EXAMPLE[1]}, timeout=30).json()  # fmt: skip
        phases["new_example_understood"] = reply["intent"]["name"] == NEW_EXAMPLE[0]
        return phases
    finally:
        servers.stop()


def write_doc(r: dict) -> None:
    inbox = r["inbox"]
    rows = [
        (f"Inbox, first load ({inbox['conversations']} conversations, {inbox['events']} events; indexes them)",
         f"{inbox['first_load_with_indexing_ms']} ms", ""),
        ("Inbox page, p50 / p95", f"{inbox['inbox']['p50_ms']} / {inbox['inbox']['p95_ms']} ms", "≤ 500 ms"),
    ]  # fmt: skip
    for key, label in (("low_confidence", "Inbox, confidence below 0.6"),
                       ("kiosk_fallback", "Inbox, kiosk + fallback + not reviewed"),
                       ("intent_filter", "Inbox, predicted intent"),
                       ("language_filter", "Inbox, language Chinese (a quarter of the conversations)"),
                       ("conversation", "Conversation page")):  # fmt: skip
        if key in inbox:  # results measured before the language filter existed lack it
            rows.append((label, f"{inbox[key]['p50_ms']} / {inbox[key]['p95_ms']} ms", ""))
    loop = r.get("loop")
    if loop:
        rows += [
            ("Annotate → live, one new example (total)", f"{loop['total_s']} s", "≤ 10 min"),
            ("… validate (KB export + rasa data validate)", f"{loop['validate_s']} s", ""),
            ("… train", f"{loop['train_s']} s", ""),
            ("… evaluate (candidate + live model, held-back split)", f"{loop['evaluate_s']} s", ""),
            ("… activate (PUT /model on the running server)", f"{loop['activate_s']} s", ""),
            ("New example understood by the running server", str(loop["new_example_understood"]), "True"),
        ]
    table = "| Measure | Result | Target |\n|---|---|---|\n" + "\n".join(f"| {a} | {b} | {c} |" for a, b, c in rows)
    section = (
        "<!-- trainer:begin -->\n## Trainer studio (`make bench-trainer`)\n\n"
        f"Measured {r['measured_at']} on this {r['machine']['cpus']}-core machine, shared with other work (load "
        f"average {r['machine']['load_at_start']:.1f} at the start); raw "
        "numbers in `benchmarks/results/trainer.json`.\n\n" + table + "\n\n"
        "Page times are HTTP round trips of the signed-in page (server-side rendering included). The first inbox "
        "load folds every tracker event into the trainer's masked index; later loads read only new events. "
        "Annotate → live uses the production configuration on a copy of the project, with the Rasa cache of "
        "earlier trainings (components whose inputs did not change are restored, not retrained).\n"
        "<!-- trainer:end -->"
    )
    write_section("trainer", section, DOC)


def main() -> int:
    parser = argparse.ArgumentParser(prog="make bench-trainer", description=__doc__.split("\n")[0])
    parser.add_argument("--conversations", type=int, default=10_000)
    parser.add_argument("--skip-loop", action="store_true", help="only the inbox part (no training)")
    args = parser.parse_args()
    os.environ.setdefault("MPLCONFIGDIR", str(ROOT / "var" / "matplotlib"))
    results: dict = {"machine": {"cpus": os.cpu_count(), "load_at_start": os.getloadavg()[0]}}
    with tempfile.TemporaryDirectory() as tmp:
        results["inbox"] = bench_inbox(Path(tmp), args.conversations)
        if not args.skip_loop:
            results["loop"] = bench_loop(Path(tmp))
    previous = json.loads(RESULTS.read_text()) if RESULTS.exists() and args.skip_loop else {}
    if args.skip_loop and "loop" in previous:
        results["loop"] = previous["loop"]
    results["measured_at"] = time.strftime("%Y-%m-%dT%H:%M:%S")
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps(results, indent=2) + "\n")
    write_doc(results)
    print(json.dumps(results, indent=2))
    print(f"wrote {RESULTS.relative_to(ROOT)} and docs/benchmarks.md")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
