"""Soak (issue 14 part 5, `make soak`): mixed kiosk traffic against the real stack for a long time.

Not a test (not in `make test`): it runs for `--minutes` (default 30) and nothing asserts; it reports. It starts
the real dialogue servers (Rasa + action server, testkit.dialogue) and the real bridge as its own process
(`python -m avatar_bridge`, production settings: the 2 s dialogue deadline, the 10 s send deadline), then
`--kiosks` kiosks (protocol v1 over real websockets, every server message checked against its schema) each
loop over a mix of what a hall's kiosks do:

* typed questions (the project's test questions, benchmarks/bench_bridge.py QUESTIONS);
* push-to-talk questions: the same questions as audio (deterministic Piper, 16 kHz PCM16), sent in a burst;
* hands-free questions: the microphone switched on, the question streamed in real time with room silence,
  the server's VAD and Smart-Turn ending the turn, the microphone switched off;
* `reset` (the next citizen), and now and then a bad message (broken JSON, unknown type, odd audio...)
  that must get its documented error code, after which the session must still answer a `ping`.

Every `--sample` s it reads the resident memory of each process (the bridge, Rasa, the action server, with
their children) from /proc. Memory growth per process compares the mean RSS over the first `--window`
minutes after `--warmup` with the mean over the last `--window` minutes (target: <= 10 %). Also reported:
turns per kind, failures (no reply, wrong error code, the apology), error codes received, and latencies
(question sent -> reply text; -> first reply audio). Results go to benchmarks/results/soak.json
(rewritten every minute while it runs, so a cut-short run still leaves its figures) and a summary is printed.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import statistics
import sys
import tempfile
import threading
import time
from collections import Counter
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from benchmarks.bench_bridge import QUESTIONS, stats  # noqa: E402
from benchmarks.environment import environment  # noqa: E402
from testkit.dialogue import DialogueServers  # noqa: E402
from testkit.faults import tree_rss_mb, warm  # noqa: E402
from testkit.kiosk import Kiosk  # noqa: E402
from testkit.servers import free_port, start_process, stop  # noqa: E402
from testkit.speech import hands_free_pcm, speech_pcm16k, stream_realtime  # noqa: E402

RESULTS = REPO / "benchmarks" / "results" / "soak.json"
APP_PY = REPO / ".venv" / "app" / "bin" / "python"
# (message, the error code it must get): one of each kind of bad input a kiosk page or an attacker may send
BAD = [
    ("{not json", "bad_json"),
    (json.dumps({"type": "dance"}), "unknown_type"),
    (json.dumps({"type": "text"}), "schema_violation"),
    (json.dumps({"type": "audio_end"}), "audio_not_started"),
    (b"\x00\x01" * 50, "audio_not_started"),
    ("x" * 20000, "message_too_large"),
]
MIX = {"text": 0.35, "push_to_talk": 0.25, "hands_free": 0.15, "reset": 0.15, "bad": 0.10}
TURN_KINDS = ("text", "push_to_talk", "hands_free")


class Tally:
    """What every kiosk thread reports, under one lock."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.counts: Counter[str] = Counter()
        self.failures: Counter[str] = Counter()
        self.error_codes: Counter[str] = Counter()
        self.latency: dict[str, list[float]] = {f"{k}_{m}": [] for k in TURN_KINDS for m in ("text_ms", "audio_ms")}
        self.examples: list[str] = []

    def fail(self, kind: str, why: str) -> None:
        with self.lock:
            self.failures[f"{kind}: {why.split(':')[0]}"] += 1
            if len(self.examples) < 20:
                self.examples.append(f"{kind}: {why}"[:300])


def reply(kiosk: Kiosk, start: int, sent: float) -> tuple[dict, float, float | None]:
    """Read until the turn's metrics; returns the bot_message, ms to it, ms to its first audio frame."""
    bot, text_ms, audio_ms = None, 0.0, None
    while True:
        message = kiosk.recv()
        now = (time.perf_counter() - sent) * 1000
        if message is None:
            if bot is not None and audio_ms is None and kiosk.audio.get(bot["utterance_id"]):
                audio_ms = now
            continue
        if message["type"] == "bot_message" and bot is None:
            bot, text_ms = message, now
        elif message["type"] == "metrics" and bot is not None and message["utterance_id"] == bot["utterance_id"]:
            return bot, text_ms, audio_ms


def one_turn(kiosk: Kiosk, kind: str, question: str, audio: dict, tally: Tally) -> None:
    start = len(kiosk.messages)
    if kind == "text":
        sent = time.perf_counter()
        kiosk.send({"type": "text", "text": question})
    elif kind == "push_to_talk":
        kiosk.send({"type": "audio_start", "sample_rate": 16000, "encoding": "pcm16"})
        pcm = audio["ptt"][question]
        for i in range(0, len(pcm), 3200):
            kiosk.send(pcm[i : i + 3200])
        kiosk.send({"type": "audio_end"})
        sent = time.perf_counter()
    else:
        kiosk.send({"type": "settings", "mode": "hands_free"})
        kiosk.send({"type": "audio_start", "sample_rate": 16000, "encoding": "pcm16"})
        stream_realtime(kiosk, audio["hands_free"][question])
        sent = time.perf_counter()  # after the trailing silence: latencies here include the 1.5 s of it
    try:
        bot, text_ms, audio_ms = reply(kiosk, start, sent)
    finally:
        if kind == "hands_free":
            kiosk.send({"type": "audio_end"})
            kiosk.send({"type": "settings", "mode": "push_to_talk"})
    errors = [m["code"] for m in kiosk.messages[start:] if m["type"] == "error"]
    with tally.lock:
        tally.counts[kind] += 1
        tally.error_codes.update(errors)
        tally.latency[f"{kind}_text_ms"].append(text_ms)
        if audio_ms is not None:
            tally.latency[f"{kind}_audio_ms"].append(audio_ms)
    if errors:
        tally.fail(kind, f"error {errors[0]}: {question}")
    elif not bot["text"] or audio_ms is None:
        tally.fail(kind, f"no spoken reply: {question}")


def kiosk_loop(url: str, name: str, audio: dict, tally: Tally, until: float, rng: random.Random) -> None:
    kinds, weights = zip(*MIX.items(), strict=True)
    while time.monotonic() < until:
        try:
            with Kiosk(url) as kiosk:
                kiosk.hello(name)
                while time.monotonic() < until:
                    kind = rng.choices(kinds, weights)[0]
                    if kind in TURN_KINDS:
                        one_turn(kiosk, kind, rng.choice(QUESTIONS), audio, tally)
                    elif kind == "reset":
                        kiosk.send({"type": "reset"})
                        kiosk.wait("session", reason="reset")
                        with tally.lock:
                            tally.counts["reset"] += 1
                    else:
                        data, code = rng.choice(BAD)
                        kiosk.send(data)
                        got = kiosk.wait("error")["code"]
                        kiosk.send({"type": "ping", "id": "after-bad"})
                        kiosk.wait("pong", id="after-bad")
                        with tally.lock:
                            tally.counts["bad"] += 1
                            tally.error_codes[got] += 1
                        if got != code:
                            tally.fail("bad", f"wanted {code}, got {got}")
                    time.sleep(rng.uniform(0.5, 2.0))  # the next citizen's pause, not a wait for the server
        except Exception as exc:  # a lost connection or a turn with no answer: count it, reconnect, go on
            tally.fail("session", f"{type(exc).__name__}: {exc}")


def growth(samples: list[dict], name: str, warmup_s: float, window_s: float) -> dict:
    """Mean RSS in the first window after warm-up vs the last window, for one process."""
    end = samples[-1]["t"] if samples else 0
    first = [s[name] for s in samples if warmup_s <= s["t"] < warmup_s + window_s]
    last = [s[name] for s in samples if s["t"] >= end - window_s]
    if not first or not last:
        return {"first_mb": None, "last_mb": None, "growth_pct": None}
    a, b = statistics.mean(first), statistics.mean(last)
    return {
        "first_mb": round(a, 1),
        "last_mb": round(b, 1),
        "growth_pct": round((b - a) / a * 100, 2),
        "peak_mb": round(max(s[name] for s in samples), 1),
    }


def start_bridge(rasa_url: str, port: int, log: Path):
    cmd = [str(APP_PY), "-m", "avatar_bridge", "--port", str(port), "--rasa-url", rasa_url, "--asr-model", "tiny.en",
           "--tts-variation", "0", "--kiosk-config", "", "--log-level", "WARNING"]  # fmt: skip
    proc, _ = start_process(cmd, f"http://127.0.0.1:{port}/health", log, 300, cwd=REPO)
    return proc


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--minutes", type=float, default=30.0, help="how long the traffic runs (default 30)")
    p.add_argument("--kiosks", type=int, default=3, help="kiosks at once (default 3)")
    p.add_argument("--sample", type=float, default=10.0, help="seconds between memory samples (default 10)")
    p.add_argument("--warmup", type=float, default=2.0, help="minutes before the first memory window (default 2)")
    p.add_argument("--window", type=float, default=5.0, help="minutes per memory window (default 5; less if short)")
    p.add_argument("--seed", type=int, default=14)
    p.add_argument("--out", type=Path, default=RESULTS)
    return p.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    from voice.tts.piper_engine import PiperEngine

    env = environment(("pipecat-ai", "uvicorn", "websockets"))
    tts = PiperEngine(variation=0.0)
    audio = {
        "ptt": {q: speech_pcm16k(tts, q) for q in QUESTIONS},
        "hands_free": {q: hands_free_pcm(tts, q) for q in QUESTIONS},
    }
    del tts
    duration_s = args.minutes * 60
    warmup_s = min(args.warmup * 60, duration_s / 5)
    window_s = min(args.window * 60, (duration_s - warmup_s) / 2)
    logs = REPO / "var" / "soak"
    logs.mkdir(parents=True, exist_ok=True)
    tally, samples = Tally(), []
    with tempfile.TemporaryDirectory() as tmp:
        print(f"starting the dialogue servers and the bridge (logs in {logs}) ...", flush=True)
        servers = DialogueServers(workdir=Path(tmp), now="2026-12-14T10:00:00").start()
        bridge = None
        try:
            warm(servers.rasa_url, timeout=600)  # Rasa's first request loads lazily: not a kiosk's turn
            port = free_port()
            bridge = start_bridge(servers.rasa_url, port, logs / "bridge.log")
            pids = {"bridge": bridge.pid, "rasa": servers.rasa_proc.pid, "actions": servers.actions_proc.pid}
            started = time.monotonic()
            until = started + duration_s
            url = f"ws://127.0.0.1:{port}/ws"
            threads = [
                threading.Thread(
                    target=kiosk_loop,
                    args=(url, f"soak-{i}", audio, tally, until, random.Random(args.seed + i)),
                    daemon=True,
                )
                for i in range(args.kiosks)
            ]
            for t in threads:
                t.start()
            print(f"soak: {args.kiosks} kiosks for {args.minutes:g} min", flush=True)
            last_save = started
            while time.monotonic() < until:
                sample = {"t": round(time.monotonic() - started, 1)}
                sample |= {name: round(tree_rss_mb(pid), 1) for name, pid in pids.items()}
                samples.append(sample)
                if time.monotonic() - last_save >= 60:
                    save(args, env, tally, samples, warmup_s, window_s, complete=False)
                    last_save = time.monotonic()
                    print(f"  {sample} turns {dict(tally.counts)} failures {sum(tally.failures.values())}", flush=True)
                time.sleep(args.sample)
            for t in threads:
                t.join(120)
        finally:
            stop(bridge)
            servers.stop()
    data = save(args, env, tally, samples, warmup_s, window_s, complete=True)
    print(json.dumps({k: data[k] for k in ("memory", "turns", "failures", "latency_ms")}, indent=1))
    return 0


def save(args, env, tally: Tally, samples: list[dict], warmup_s: float, window_s: float, complete: bool) -> dict:
    with tally.lock:
        data = {
            "complete": complete,
            "minutes_run": round(samples[-1]["t"] / 60, 2) if samples else 0,
            "settings": {k: (str(v) if isinstance(v, Path) else v) for k, v in vars(args).items()}
            | {"mix": MIX, "warmup_s": warmup_s, "window_s": window_s},
            "memory": {name: growth(samples, name, warmup_s, window_s) for name in ("bridge", "rasa", "actions")},
            "turns": dict(tally.counts),
            "failures": dict(tally.failures),
            "failure_examples": list(tally.examples),
            "error_codes": dict(tally.error_codes),
            "latency_ms": {k: stats(v) for k, v in tally.latency.items()},
            "rss_samples": samples,
            "environment": env | {"load_average_at_end": [round(x, 2) for x in os.getloadavg()]},
        }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(data, indent=1))
    return data


if __name__ == "__main__":
    sys.exit(main())
