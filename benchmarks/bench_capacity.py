"""Capacity per box (issue 13): how many kiosks one bridge serves at a hall's duty cycle.

Not a test: nothing asserts; the numbers depend on the machine and on what else
shares its cores. It starts the real dialogue servers and the real bridge
(`python -m avatar_bridge`, its own process, so its CPU and memory can be read
from /proc), then, for each N of `--kiosks`, runs N simulated kiosks for
`--duration` seconds:

* every kiosk is hands-free (or `--mode push_to_talk`) and its microphone is open
  the whole time: one shared clock sends each kiosk a 20 ms PCM16 frame of quiet
  room noise (about -60 dBFS) every 20 ms, as the kiosk page does;
* a citizen's question (the project's test questions, synthesised by the
  deterministic Piper voice, in real time) replaces that noise after a random
  gap (exponential, mean `--gap` s) counted from the end of the previous reply;
* the reply is played in full: the client sends `playback started` when its first
  audio frame arrives and `playback finished` when all its audio would have been
  played (first frame + the sum of the `speech` durations), as the kiosk page does;
  then `reset` (the next citizen);
* one more kiosk, push-to-talk without a microphone, types a question every
  ~`--gap`/2 s and plays the reply in full: the text-turn latency under that load.

Measured per N: voice-to-voice (hands-free: end of the voiced audio -> first audio
frame of the reply; push-to-talk: `audio_end` -> first audio frame) p50/p95, the
bridge's stage split (`metrics`), text turn -> first audio, CPU of the bridge,
of the dialogue core (Rasa + action server) and of this client (100 % = one core),
the bridge's peak RSS, the load average, and turns that failed. The largest N whose
voice-to-voice p95 stays within `--target-p95` is the capacity. Results go to
benchmarks/results/capacity.json and the section between `<!-- capacity:begin -->`
and `<!-- capacity:end -->` in docs/benchmarks.md. Run it niced (`make bench-capacity`).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import random
import re
import signal
import subprocess
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import numpy as np

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from benchmarks.bench_bridge import (  # noqa: E402
    QUESTIONS,
    Client,
    LoadSampler,
    Utterance,
    busy_processes,
    environment,
    play_reply,
    stats,
)
from benchmarks.docs_section import write_section  # noqa: E402
from testkit.dialogue import DialogueServers  # noqa: E402
from testkit.servers import free_port, start_process, stop  # noqa: E402
from voice.tts.piper_engine import PiperEngine  # noqa: E402

RESULTS = REPO / "benchmarks" / "results" / "capacity.json"
DOCS = REPO / "docs" / "benchmarks.md"
APP_PY = REPO / ".venv" / "app" / "bin" / "python"
FRAME_MS = 20
FRAME_BYTES = 16 * 2 * FRAME_MS
TURN_TIMEOUT_S = 60.0
CLK_TCK = os.sysconf("SC_CLK_TCK")


def log(message: str) -> None:
    print(f"[bench-capacity {time.strftime('%H:%M:%S')}] {message}", flush=True)


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of a process so far (its threads included), from /proc."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / CLK_TCK


def rss_mb(pid: int) -> float:
    try:
        status = Path(f"/proc/{pid}/status").read_text()
    except OSError:
        return 0.0
    match = re.search(r"VmRSS:\s+(\d+) kB", status)
    return int(match.group(1)) / 1024 if match else 0.0


def process_tree(pid: int) -> list[int]:
    """`pid` and its descendants (the dialogue servers run under wrapper processes)."""
    children: dict[int, list[int]] = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        with contextlib.suppress(OSError, IndexError, ValueError):
            parts = stat.read_text().rsplit(")", 1)[1].split()
            children.setdefault(int(parts[1]), []).append(int(stat.parent.name))
    out, todo = [], [pid]
    while todo:
        p = todo.pop()
        out.append(p)
        todo += children.get(p, [])
    return out


class Microphones:
    """One clock for every kiosk's microphone: each tick sends every kiosk its next 20 ms frame.

    A kiosk's frame is the next piece of what its citizen says, or room noise when nobody talks. Ticks that
    come late (a busy event loop) are caught up at once, as a browser's audio worklet buffers and sends.
    """

    def __init__(self, seed: int = 0):
        rng = np.random.default_rng(seed)
        self.noise = [(rng.normal(0, 30, FRAME_BYTES // 2)).astype(np.int16).tobytes() for _ in range(50)]
        self.kiosks: list[SimKiosk] = []
        self._task: asyncio.Task | None = None
        self.ticks = 0

    def start(self) -> None:
        self._task = asyncio.create_task(self._run())

    async def stop(self) -> None:
        if self._task:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task

    async def _run(self) -> None:
        start = time.perf_counter()
        while True:
            due = int((time.perf_counter() - start) * 1000 / FRAME_MS) + 1
            while self.ticks < due:
                self.ticks += 1
                now = start + self.ticks * FRAME_MS / 1000
                for kiosk in list(self.kiosks):
                    await kiosk.tick(now, self.noise[self.ticks % len(self.noise)])
            await asyncio.sleep(max(0.0, start + (self.ticks + 1) * FRAME_MS / 1000 - time.perf_counter()))


@dataclass
class SimKiosk:
    """A kiosk with its microphone open (hands-free) or opened per question (push-to-talk)."""

    client: Client
    mode: str
    name: str
    _speech: bytes = b""
    _pos: int = 0
    _started: asyncio.Future | None = None
    _finished: asyncio.Future | None = None
    _start_t: float = 0.0
    mic_open: bool = False

    async def tick(self, now: float, noise: bytes) -> None:
        if self._pos < len(self._speech):
            frame = self._speech[self._pos : self._pos + FRAME_BYTES]
            if self._pos == 0:
                self._start_t = now
                if self._started and not self._started.done():
                    self._started.set_result(now)
            self._pos += FRAME_BYTES
            if self._pos >= len(self._speech) and self._finished and not self._finished.done():
                self._finished.set_result(now + FRAME_MS / 1000)
        elif self.mode == "hands_free" and self.mic_open:
            frame = noise
        else:
            return
        with contextlib.suppress(Exception):  # a closed socket: the turn reports the failure
            await self.client.ws.send(frame)

    async def say(self, pcm: bytes) -> tuple[float, float]:
        """Speak `pcm` through the microphone; returns (time its first frame went out, time its last did)."""
        loop = asyncio.get_running_loop()
        self._started, self._finished = loop.create_future(), loop.create_future()
        self._speech, self._pos = pcm, 0
        started = await self._started
        return started, await self._finished


@dataclass
class Window:
    """What one N produced."""

    voice: list[dict] = field(default_factory=list)
    text: list[float] = field(default_factory=list)
    failures: list[str] = field(default_factory=list)
    stopping: bool = False


async def open_client(url: str, kiosk_id: str, mode: str) -> Client:
    from websockets.asyncio.client import connect

    ws = await connect(url, max_size=2**24, open_timeout=60)
    client = Client(ws)
    await client.send(
        {
            "type": "hello",
            "protocol": "1",
            "kiosk_id": kiosk_id,
            "language": "en",
            "mode": mode,
            "capabilities": {"audio_in": True, "audio_out": True},
        }
    )
    await client.wait("session")
    if mode == "hands_free":
        await client.send({"type": "audio_start", "sample_rate": 16000, "encoding": "pcm16"})
    return client


async def next_citizen(client: Client) -> None:
    mark = len(client.events)
    await client.send({"type": "reset"})
    await client.wait("session", mark, timeout=TURN_TIMEOUT_S)


async def voice_turn(kiosk: SimKiosk, utt: Utterance) -> dict:
    client = kiosk.client
    mark = len(client.events)
    if kiosk.mode == "push_to_talk":
        await client.send({"type": "audio_start", "sample_rate": 16000, "encoding": "pcm16"})
        _, ended = await kiosk.say(utt.pcm)
        await client.send({"type": "audio_end"})
        speech_end_t = time.perf_counter()
    else:
        started, _ = await kiosk.say(utt.pcm)
        speech_end_t = started + utt.voiced_end_s
    _, _, bot = await client.wait("bot_message", mark, timeout=TURN_TIMEOUT_S)
    uid = bot["utterance_id"]
    reply = await play_reply(client, uid, mark, timeout=TURN_TIMEOUT_S)
    finals = [m for _, k, m in client.events[mark:] if k == "transcript" and m["kind"] == "final"]
    return {
        "kiosk": kiosk.name,
        "question": utt.text,
        "transcript": finals[0]["text"] if finals else None,
        "voice_to_voice_ms": round((reply["first_audio_t"] - speech_end_t) * 1000),
        "stages": reply["metrics"]["stages"],
        "reply_audio_ms": reply["audio_ms"],
        "final_transcripts": len(finals),
        "partials": sum(1 for _, k, m in client.events[mark:] if k == "transcript" and m["kind"] == "partial"),
    }


async def kiosk_loop(kiosk: SimKiosk, utts: list[Utterance], rng: random.Random, gap_s: float, out: Window) -> None:
    await asyncio.sleep(rng.uniform(0, gap_s))  # kiosks do not start in step
    n = rng.randrange(len(utts))
    while not out.stopping:
        utt = utts[n % len(utts)]
        n += 1
        try:
            result = await voice_turn(kiosk, utt)
            out.voice.append(result)
            log(
                f"  {kiosk.name}: {result['voice_to_voice_ms']:5d} ms  asr {result['stages'].get('asr_ms')} "
                f"dlg {result['stages'].get('dialogue_ms')} tts {result['stages'].get('tts_first_ms')}  "
                f"{result['transcript']!r}"
            )
            await next_citizen(kiosk.client)
        except Exception as exc:  # a turn that never got its reply counts as a failure, and the kiosk goes on
            out.failures.append(f"{kiosk.name}: {utt.text!r}: {type(exc).__name__}: {exc}")
            log(f"  {kiosk.name}: FAILED {exc}")
            with contextlib.suppress(Exception):
                await next_citizen(kiosk.client)
        if out.stopping:
            break
        await asyncio.sleep(max(1.0, rng.expovariate(1 / gap_s)))


async def text_probe(client: Client, rng: random.Random, gap_s: float, out: Window) -> None:
    await asyncio.sleep(rng.uniform(1, 3))
    k = 0
    while not out.stopping:
        question = QUESTIONS[k % len(QUESTIONS)]
        k += 1
        mark = len(client.events)
        sent = time.perf_counter()
        try:
            await client.send({"type": "text", "text": question})
            _, _, bot = await client.wait("bot_message", mark, timeout=TURN_TIMEOUT_S)
            reply = await play_reply(client, bot["utterance_id"], mark, timeout=TURN_TIMEOUT_S)
            out.text.append((reply["first_audio_t"] - sent) * 1000)
            await next_citizen(client)
        except Exception as exc:
            out.failures.append(f"text probe: {question!r}: {type(exc).__name__}: {exc}")
        if not out.stopping:
            await asyncio.sleep(max(1.0, rng.expovariate(2 / gap_s)))


@dataclass
class Processes:
    bridge: int
    dialogue: list[int]

    def cpu(self) -> dict[str, float]:
        return {
            "bridge": cpu_seconds(self.bridge),
            "dialogue": sum(cpu_seconds(p) for p in self.dialogue),
            "client": time.process_time(),
        }


async def rss_sampler(pid: int, peak: list[float]) -> None:
    while True:
        peak[0] = max(peak[0], rss_mb(pid))
        await asyncio.sleep(1.0)


async def bridge_metrics(http_url: str) -> dict[str, float]:
    """The bridge's counters (/metrics, histogram buckets left out), by full name with labels."""
    async with httpx.AsyncClient(timeout=10) as client:
        text = (await client.get(f"{http_url}/metrics")).text
    out: dict[str, float] = {}
    for line in text.splitlines():
        if line.startswith("#") or not line.strip() or "_bucket{" in line:
            continue
        name, _, value = line.rpartition(" ")
        out[name] = float(value)
    return out


async def run_window(
    url: str, http_url: str, procs: Processes, utts: list[Utterance], n: int, args: argparse.Namespace
) -> dict:
    rng = random.Random(args.seed + n)
    mics = Microphones(seed=n)
    kiosks = [
        SimKiosk(await open_client(url, f"cap-{n}-{k}", args.mode), args.mode, f"k{k:02d}", mic_open=True)
        for k in range(n)
    ]
    probe = await open_client(url, f"cap-{n}-text", "push_to_talk")
    mics.kiosks = kiosks
    mics.start()
    out = Window()
    peak = [0.0]
    sampler = asyncio.create_task(rss_sampler(procs.bridge, peak))
    metrics_before = await bridge_metrics(http_url)
    cpu0, t0, load0 = procs.cpu(), time.perf_counter(), os.getloadavg()
    tasks = [asyncio.create_task(kiosk_loop(k, utts, rng, args.gap, out)) for k in kiosks]
    tasks.append(asyncio.create_task(text_probe(probe, rng, args.gap, out)))
    await asyncio.sleep(args.duration)
    out.stopping = True  # no new questions; the turns under way finish
    done, pending = await asyncio.wait(tasks, timeout=TURN_TIMEOUT_S + args.gap)
    for task in pending:
        task.cancel()
    wall = time.perf_counter() - t0
    cpu1, load1 = procs.cpu(), os.getloadavg()
    metrics_after = await bridge_metrics(http_url)
    sampler.cancel()
    await mics.stop()
    for kiosk in kiosks:
        await kiosk.client.close()
    await probe.close()
    cpu = {name: round(100 * (cpu1[name] - cpu0[name]) / wall, 1) for name in cpu0}
    stage_names = ["end_of_turn_ms", "asr_ms", "dialogue_ms", "tts_first_ms"]
    turns = out.voice
    result = {
        "kiosks": n,
        "mode": args.mode,
        "wall_s": round(wall, 1),
        "voice_turns": len(turns),
        "voice_to_voice_ms": stats([t["voice_to_voice_ms"] for t in turns]),
        "stages_ms": {s: stats([t["stages"][s] for t in turns if t["stages"].get(s) is not None]) for s in stage_names},
        "text_turn_ms": stats(out.text),
        "cpu_percent": cpu,  # 100 = one core busy for the whole window
        "bridge_rss_peak_mb": round(peak[0]),
        "load_average": {"start": [round(x, 2) for x in load0], "end": [round(x, 2) for x in load1]},
        "failures": out.failures,
        "split_turns": sum(t["final_transcripts"] > 1 for t in turns),
        "errors_sent": dict(Counter(m["code"] for k in kiosks for _, kind, m in k.client.events if kind == "error")),
        "transcripts_exact": sum(_same(t["transcript"], t["question"]) for t in turns),
        "bridge_counters": {
            k: metrics_after[k] - metrics_before.get(k, 0)
            for k in metrics_after
            if k.startswith(("lobby_bridge_asr", "lobby_bridge_tts", "lobby_bridge_errors", "lobby_bridge_turns"))
        },
        "turns": turns,
    }
    v = result["voice_to_voice_ms"]
    log(
        f"{n} kiosks: {len(turns)} turns, voice p50 {v.get('p50')} / p95 {v.get('p95')} ms, text p50 "
        f"{result['text_turn_ms'].get('p50')} ms, CPU {cpu}, RSS {peak[0]:.0f} MB, {len(out.failures)} failed"
    )
    return result


def _same(heard: str | None, said: str) -> bool:
    def norm(s: str) -> str:
        return re.sub(r"[^a-z0-9 ]", "", s.lower()).strip()

    return heard is not None and norm(heard) == norm(said)


def start_bridge(rasa_url: str, args: argparse.Namespace, port: int, log_path: Path, cwd: Path):
    """`python -m avatar_bridge` from checkout `cwd` (another one for a before/after comparison)."""
    help_text = subprocess.run(
        [str(APP_PY), "-m", "avatar_bridge", "--help"], cwd=cwd, capture_output=True, text=True
    ).stdout
    # every kiosk of the run is admitted hands-free: the run measures what the admission limits should be
    limits = ["--max-hands-free", str(max(args.kiosks) + 2)] if "--max-hands-free" in help_text else []
    cmd = [
        str(APP_PY),
        "-m",
        "avatar_bridge",
        "--port",
        str(port),
        "--rasa-url",
        rasa_url,
        "--asr-model",
        args.model,
        "--tts-variation",
        "0",
        "--max-sessions",
        str(max(args.kiosks) + 2),
        *limits,
        "--kiosk-config",
        "",
        "--log-level",
        "INFO",
        *args.bridge_args.split(),
    ]
    proc, _ = start_process(cmd, f"http://127.0.0.1:{port}/health", log_path, 120, cwd=cwd)
    return proc


def capacity(windows: list[dict], target_ms: float) -> int:
    """The largest N whose voice-to-voice p95 is within the target, every smaller N too, and no turn failed."""
    best = 0
    for w in sorted(windows, key=lambda w: w["kiosks"]):
        p95 = w["voice_to_voice_ms"].get("p95")
        if p95 is None or p95 > target_ms or w["failures"]:
            break
        best = w["kiosks"]
    return best


def markdown(data: dict) -> str:
    env = data["environment"]
    s = data["settings"]
    lines = [
        "<!-- capacity:begin -->",
        "## Capacity per box (issue 13)",
        "",
        f"`make bench-capacity` on {env['cpus']} cores ({env['cpu']}), {env['date']}, niceness {env['niceness']}, "
        f"1-min load average at start {env['load_average_at_start'][0]}, during the run mean "
        f"{env['load_average_1min_during_run']['mean']} / max {env['load_average_1min_during_run']['max']}. "
        "Four other workers shared these two cores while it ran, so the absolute numbers are pessimistic. "
        + (
            f"Bridges run window by window: **{s['label']}** and **{s['compare_label']}** (the order alternates "
            "per N, so both share the same load). "
            if s["compare"]
            else f"Bridge: **{s['label']}**. "
        )
        + f"Raw numbers (every turn): `{data['results_file']}`."
        + ("" if data.get("complete", True) else " **The run was cut short: only the windows below ran.**"),
        "",
        f"{s['mode'].replace('_', '-')} kiosks, {s['model']}, each a citizen's question (real-time audio of the "
        f"project's test questions, microphone open all the time) after a random gap of mean {s['gap_s']} s from "
        f"the end of the previous reply, every reply played in full with `playback` acknowledgements, "
        f"{s['duration_s']} s per N; plus one typed-question kiosk (text turn). CPU: 100 % = one core. "
        f"**Capacity (largest N with voice-to-voice p95 ≤ {s['target_p95_ms']} ms): "
        + "; ".join(f"{label}: {n} kiosks" for label, n in data["capacity"].items())
        + ".**",
        "",
        "| bridge | kiosks | voice turns | voice-to-voice p50 | p95 | ASR p50 / p95 | dialogue p50 | TTS first p50 | "
        "text turn p50 / p95 | CPU bridge | CPU dialogue | bridge RSS | load avg (end) | failed |",
        "|---|---|---|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for w in data["windows"]:
        v, st, t = w["voice_to_voice_ms"], w["stages_ms"], w["text_turn_ms"]
        lines.append(
            f"| {w['bridge']} | {w['kiosks']} | {w['voice_turns']} | {v.get('p50')} ms | {v.get('p95')} ms | "
            f"{st['asr_ms'].get('p50')} / {st['asr_ms'].get('p95')} ms | {st['dialogue_ms'].get('p50')} ms | "
            f"{st['tts_first_ms'].get('p50')} ms | {t.get('p50')} / {t.get('p95')} ms | "
            f"{w['cpu_percent']['bridge']} % | {w['cpu_percent']['dialogue']} % | {w['bridge_rss_peak_mb']} MB | "
            f"{w['load_average']['end'][0]} | {len(w['failures'])} |"
        )
    lines.append("<!-- capacity:end -->")
    return "\n".join(lines)


@dataclass
class Bridge:
    label: str
    repo: Path
    proc: subprocess.Popen | None = None
    url: str = ""
    http_url: str = ""


async def warm_up(bridge: Bridge, utt: Utterance, mode: str) -> None:
    """One turn first, so no window pays for the first decode and synthesis."""
    warm = SimKiosk(await open_client(bridge.url, "cap-warm", mode), mode, "warm", mic_open=True)
    mics = Microphones()
    mics.kiosks = [warm]
    mics.start()
    with contextlib.suppress(Exception):
        await voice_turn(warm, utt)
    await mics.stop()
    await warm.client.close()


async def run(
    args: argparse.Namespace, rasa_url: str, dialogue_pids: list[int], workdir: Path, save: Callable[[list], None]
) -> list[dict]:
    """Each N on each bridge; with `--compare`, the two bridges take turns (the order alternating per N), so
    both see the same load from the rest of the machine."""
    tts = PiperEngine(variation=0.0)
    utts = [Utterance(tts, q) for q in QUESTIONS]
    bridges = [Bridge(args.label, args.bridge_repo or REPO)]
    if args.compare:
        bridges.append(Bridge(args.compare_label, args.compare))
    windows = []
    try:
        for k, bridge in enumerate(bridges):
            port = free_port()
            bridge.proc = start_bridge(rasa_url, args, port, workdir / f"bridge-{k}.log", bridge.repo)
            bridge.url, bridge.http_url = f"ws://127.0.0.1:{port}/ws", f"http://127.0.0.1:{port}"
            log(f"warm-up turn: {bridge.label}")
            await warm_up(bridge, utts[0], args.mode)
        for i, n in enumerate(args.kiosks):
            for bridge in bridges if i % 2 == 0 else bridges[::-1]:
                log(f"{bridge.label}: {n} kiosks for {args.duration:.0f} s")
                procs = Processes(bridge.proc.pid, dialogue_pids)
                window = await run_window(bridge.url, bridge.http_url, procs, utts, n, args)
                windows.append({"bridge": bridge.label} | window)
                save(windows)  # after every window: a run cut short keeps what it measured
    finally:
        for bridge in bridges:
            stop(bridge.proc)
    return windows


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="make bench-capacity",
        description=__doc__.split("\n")[0],
        epilog="Defaults take about 15 minutes. Pass options through make: make bench-capacity ARGS='--kiosks 4 8'.",
    )
    parser.add_argument("--kiosks", type=int, nargs="+", default=[4, 8, 12, 16], help="the Ns to run, in order")
    parser.add_argument("--duration", type=float, default=180.0, help="seconds of questions per N")
    parser.add_argument("--gap", type=float, default=20.0, help="mean gap (s) from a reply's end to the next question")
    parser.add_argument("--mode", choices=("hands_free", "push_to_talk"), default="hands_free")
    parser.add_argument("--model", default="tiny.en", help="the bridge's ASR model")
    parser.add_argument("--target-p95", type=float, default=1200.0, help="voice p95 (ms) that defines capacity")
    parser.add_argument("--bridge-args", default="", help="extra options for `python -m avatar_bridge` (one string)")
    parser.add_argument(
        "--bridge-repo", type=Path, help="run the bridge from this checkout (e.g. the code before a change)"
    )
    parser.add_argument(
        "--compare", type=Path, metavar="DIR", help="also run the bridge of this checkout, window by window"
    )
    parser.add_argument("--compare-label", default="compared bridge", help="names the --compare bridge")
    parser.add_argument("--label", default="current bridge", help="names this run in the docs and the JSON")
    parser.add_argument("--seed", type=int, default=13)
    parser.add_argument("--rasa-url", help="use this running dialogue core instead of starting one")
    parser.add_argument("--out", type=Path, help=f"result file (default {RESULTS.relative_to(REPO)})")
    parser.add_argument("--render", type=Path, metavar="JSON", help="only re-write the docs section from this result")
    parser.add_argument("--no-docs", action="store_true", help="do not rewrite the section in docs/benchmarks.md")
    return parser.parse_args(argv)


def settings(args: argparse.Namespace) -> dict:
    return {
        "label": args.label,
        "compare": str(args.compare) if args.compare else None,
        "compare_label": args.compare_label if args.compare else None,
        "mode": args.mode,
        "model": args.model,
        "kiosks": args.kiosks,
        "duration_s": args.duration,
        "gap_s": args.gap,
        "target_p95_ms": args.target_p95,
        "bridge_args": args.bridge_args,
        "bridge_repo": str(args.bridge_repo) if args.bridge_repo else None,
        "note": "4 other workers shared the 2 cores (and this run is niced): absolute numbers are pessimistic",
    }


def _stop_on_sigterm(signum, frame) -> None:
    raise KeyboardInterrupt  # so the servers it started are stopped on the way out (a background job ignores ^C)


def render(results: Path) -> int:
    """Re-write the docs section from a result file (after editing the table's layout, say)."""
    data = json.loads(results.read_text(encoding="utf-8"))
    section = markdown(data)
    write_section("capacity", section, DOCS)
    print(section)
    return 0


def main(argv: list[str] | None = None) -> int:
    signal.signal(signal.SIGTERM, _stop_on_sigterm)
    args = parse_args(argv)
    if args.render:
        return render(args.render)
    out = args.out or RESULTS
    logs = REPO / "var" / "bench-capacity"
    logs.mkdir(parents=True, exist_ok=True)
    env = environment()
    env["busy_processes_at_start"] = busy_processes()
    log(f"load average {env['load_average_at_start']}; bridge log in {logs}")
    labels = [args.label] + ([args.compare_label] if args.compare else [])
    results_file = str(out.relative_to(REPO)) if out.is_relative_to(REPO) else str(out)
    out.parent.mkdir(parents=True, exist_ok=True)

    def save(windows: list[dict], complete: bool = False) -> dict:
        data = {
            "complete": complete,
            "windows": windows,
            "capacity": {
                label: capacity([w for w in windows if w["bridge"] == label], args.target_p95) for label in labels
            },
            "environment": env
            | {
                "load_average_now": [round(x, 2) for x in os.getloadavg()],
                "load_average_1min_during_run": load.summary(),
            },
            "settings": settings(args),
            "results_file": results_file,
        }
        out.write_text(json.dumps(data, indent=1, ensure_ascii=False), encoding="utf-8")
        return data

    with tempfile.TemporaryDirectory() as tmp, LoadSampler() as load:
        if args.rasa_url:
            windows = asyncio.run(run(args, args.rasa_url, [], logs, save))
        else:
            servers = DialogueServers(workdir=Path(tmp), now="2026-12-14T10:00:00").start()
            pids = [p for proc in (servers.rasa_proc, servers.actions_proc) for p in process_tree(proc.pid)]
            try:
                windows = asyncio.run(run(args, servers.rasa_url, pids, logs, save))
            finally:
                servers.stop()
        env["load_average_at_end"] = [round(x, 2) for x in os.getloadavg()]
        env["busy_processes_at_end"] = busy_processes()
        data = save(windows, complete=True)
    section = markdown(data)
    if not args.no_docs:
        write_section("capacity", section, DOCS)
    print(section)
    return 0


if __name__ == "__main__":
    sys.exit(main())
