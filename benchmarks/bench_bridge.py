"""Avatar bridge benchmark (issue 4): voice-to-voice, text-to-speech-start and barge-in latency, 1-8 kiosks.

Not a test: the numbers depend on the machine and on whatever else runs on its
two cores, so nothing here asserts. It starts the real dialogue servers and the
real bridge (`python -m avatar_bridge`, one process per ASR model), talks to it
over websockets like a hands-free kiosk, and writes benchmarks/results/bridge.json
and the table between `<!-- bridge:begin -->` / `<!-- bridge:end -->` in
docs/benchmarks.md. Run it niced, as `make bench-bridge` does.

Measured (client-side wall clock):
- voice-to-voice: a synthesised question streamed hands-free in real time (20 ms
  frames) with trailing silence; from the end of its voiced audio to the first
  binary `speech` audio frame of the reply. End-of-turn detection (VAD pause +
  Smart-Turn), ASR, dialogue core and first-sentence TTS are all inside it;
  the per-stage split comes from the bridge's `metrics` message.
- text turn -> first audio frame.
- barge-in stop: the citizen starts talking over a reply -> the last audio frame
  of that reply arrives.
- voice-to-voice p95 with 1, 4 and 8 kiosks talking at once (the stress line); every reply is played in
  full (with `playback` acknowledgements), so it is synthesised and sent in full as in a hall.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import numpy as np
import soxr
from websockets.asyncio.client import connect

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from avatar_bridge.config import BridgeConfig  # noqa: E402
from benchmarks.docs_section import write_section  # noqa: E402
from benchmarks.environment import environment as machine_environment  # noqa: E402
from testkit.dialogue import DialogueServers  # noqa: E402
from testkit.servers import free_port, start_process, stop  # noqa: E402
from voice.tts.piper_engine import PiperEngine  # noqa: E402

RESULTS = REPO / "benchmarks" / "results" / "bridge.json"
DOCS = REPO / "docs" / "benchmarks.md"
BEGIN, END = "<!-- bridge:begin -->", "<!-- bridge:end -->"
APP_PY = REPO / ".venv" / "app" / "bin" / "python"
CHUNK_MS = 20
LEAD_S, TRAIL_S = 0.4, 2.0
QUESTIONS = [
    "Where do I apply for a new ID card?",
    "How long does the passport take?",
    "What do I need to register my newborn baby?",
    "Where is the help desk?",
    "What time does the hall open on Saturday?",
    "How do I withdraw money from my housing fund?",
    "Where do I apply for a residence permit?",
    "I want to claim unemployment insurance.",
    "Where do I register a small company?",
    "How do I file my annual income tax return?",
    "Where are the toilets?",
    "Do I need an appointment for marriage registration?",
    "Can I get my social security card replaced today?",
    "Where do I apply for a disability certificate?",
    "How do I check the progress of my application?",
    "I need a no criminal record certificate.",
]
LONG_ANSWER = "my wife just had a baby, what do I need to do?"


def log(message: str) -> None:
    print(f"[bench-bridge {time.strftime('%H:%M:%S')}] {message}", flush=True)


def stats(values: list[float]) -> dict:
    if not values:
        return {"n": 0}
    xs = sorted(values)
    p95 = xs[min(len(xs) - 1, round(0.95 * (len(xs) - 1)))]
    return {
        "n": len(xs),
        "p50": round(statistics.median(xs)),
        "p95": round(p95),
        "min": round(xs[0]),
        "max": round(xs[-1]),
    }


class Utterance:
    """A question as a hands-free microphone hears it; `voiced_end_s` is where the speech stops."""

    def __init__(self, tts: PiperEngine, text: str):
        speech = tts.synthesize(text)
        audio = soxr.resample(speech.audio.astype(np.float32) / 32768, speech.sample_rate, 16000)
        frames = audio[: len(audio) // 160 * 160].reshape(-1, 160)
        loud = np.flatnonzero(np.sqrt((frames**2).mean(axis=1)) > 10 ** (-40 / 20))
        self.text = text
        self.voiced_start_s = LEAD_S + (loud[0] * 160 / 16000 if len(loud) else 0)
        self.voiced_end_s = LEAD_S + ((loud[-1] + 1) * 160 / 16000 if len(loud) else len(audio) / 16000)
        full = np.concatenate(
            [np.zeros(int(LEAD_S * 16000), np.float32), audio, np.zeros(int(TRAIL_S * 16000), np.float32)]
        )
        self.pcm = (np.clip(full, -1, 1) * 32767).astype(np.int16).tobytes()


class Client:
    """One hands-free kiosk: a reader task timestamps everything the bridge sends."""

    def __init__(self, ws):
        self.ws = ws
        self.events: list[tuple[float, str, dict | int]] = []  # (t, kind, message or audio bytes)
        self._new = asyncio.Event()
        self._reader = asyncio.create_task(self._read())

    async def _read(self) -> None:
        async for data in self.ws:
            now = time.perf_counter()
            if isinstance(data, bytes):
                self.events.append((now, "audio", len(data)))
            else:
                message = json.loads(data)
                self.events.append((now, message["type"], message))
            self._new.set()

    async def wait(self, kind: str, since: int = 0, timeout: float = 60, **match) -> tuple[int, float, dict]:
        deadline = time.perf_counter() + timeout
        while True:
            for i in range(since, len(self.events)):
                t, k, m = self.events[i]
                if k == kind and (not match or all(m.get(a) == b for a, b in match.items())):
                    return i, t, m
            self._new.clear()
            left = deadline - time.perf_counter()
            if left <= 0:
                raise TimeoutError(f"no {kind} {match} within {timeout} s")
            await asyncio.wait_for(self._new.wait(), left)

    async def send(self, message: dict) -> None:
        await self.ws.send(json.dumps(message))

    async def stream(self, pcm: bytes) -> float:
        """Send in real time; returns the perf_counter time the stream started."""
        step = 16 * 2 * CHUNK_MS
        start = time.perf_counter()
        for n, i in enumerate(range(0, len(pcm), step)):
            await self.ws.send(pcm[i : i + step])
            delay = start + (n + 1) * CHUNK_MS / 1000 - time.perf_counter()
            if delay > 0:
                await asyncio.sleep(delay)
        return start

    async def fresh(self) -> None:
        """Stop whatever the avatar says and start a new conversation."""
        await self.send({"type": "interrupt"})
        mark = len(self.events)
        await self.send({"type": "reset"})
        await self.wait("session", mark)

    async def close(self) -> None:
        await self.ws.close()
        self._reader.cancel()


async def open_kiosk(url: str, kiosk_id: str = "entrance") -> Client:
    ws = await connect(url, max_size=2**24)
    client = Client(ws)
    await client.send(
        {
            "type": "hello",
            "protocol": "1",
            "kiosk_id": kiosk_id,
            "language": "en",
            "mode": "hands_free",
            "capabilities": {"audio_in": True, "audio_out": True},
        }
    )
    await client.wait("session")
    await client.send({"type": "audio_start", "sample_rate": 16000, "encoding": "pcm16"})
    return client


async def play_reply(client: Client, uid: str, mark: int, timeout: float = 60) -> dict:
    """Play reply `uid` in full as the kiosk page does: `playback started` when its first audio frame arrives,
    `playback finished` once all its audio would have been played (first frame + the `speech` durations).
    Returns the first audio frame's time, the reply's audio length and its `metrics`."""
    i, _, _ = await client.wait("speech", mark, timeout=timeout, utterance_id=uid)
    _, t_audio, _ = await client.wait("audio", i, timeout=timeout)
    await client.send({"type": "playback", "utterance_id": uid, "state": "started"})
    j, _, end = await client.wait("speech_end", i, timeout=timeout, utterance_id=uid)
    audio_ms = sum(m["duration_ms"] for _, k, m in client.events[i:j] if k == "speech" and m["utterance_id"] == uid)
    await asyncio.sleep(max(0.0, t_audio + audio_ms / 1000 - time.perf_counter()))
    await client.send({"type": "playback", "utterance_id": uid, "state": "finished"})
    _, _, metrics = await client.wait("metrics", j, timeout=timeout, utterance_id=uid)
    return {"first_audio_t": t_audio, "audio_ms": audio_ms, "metrics": metrics, "interrupted": end["interrupted"]}


async def voice_turn(client: Client, utt: Utterance, play_full: bool = False) -> dict:
    """One hands-free question. The single-kiosk runs interrupt the reply after its first audio frame (only the
    start of the reply is measured); `play_full` plays it to the end, so it is synthesised and sent in full, as
    a hall lives it (the stress line: several kiosks at once)."""
    mark = len(client.events)
    start = await client.stream(utt.pcm)
    _, _, bot = await client.wait("bot_message", mark)
    uid = bot["utterance_id"]
    transcript = next((m for _, k, m in client.events[mark:] if k == "transcript" and m["kind"] == "final"), None)
    if play_full:
        reply = await play_reply(client, uid, mark)
        t_audio, metrics = reply["first_audio_t"], reply["metrics"]
    else:
        i, _, _ = await client.wait("speech", mark, utterance_id=uid)
        _, t_audio, _ = await client.wait("audio", i)
        await client.send({"type": "interrupt"})
        _, _, metrics = await client.wait("metrics", mark, utterance_id=uid)
    turns_seen = sum(1 for _, k, m in client.events[mark:] if k == "transcript" and m["kind"] == "final")
    await client.fresh()
    return {
        "question": utt.text,
        "transcript": transcript["text"] if transcript else None,
        "voice_to_voice_ms": round((t_audio - (start + utt.voiced_end_s)) * 1000),
        "stages": metrics["stages"],
        "final_transcripts": turns_seen,
    }


async def bench_voice(url: str, utts: list[Utterance], turns: int) -> dict:
    client = await open_kiosk(url)
    results = []
    try:
        await voice_turn(client, utts[0])  # warm-up
        for n in range(turns):
            r = await voice_turn(client, utts[n % len(utts)])
            results.append(r)
            log(f"  {r['voice_to_voice_ms']:5d} ms  {r['stages']}  {r['transcript']!r}")
    finally:
        await client.close()
    stage_names = ["end_of_turn_ms", "asr_ms", "dialogue_ms", "tts_first_ms"]
    return {
        "voice_to_voice_ms": stats([r["voice_to_voice_ms"] for r in results]),
        "stages_ms": {s: stats([r["stages"][s] for r in results if s in r["stages"]]) for s in stage_names},
        "split_turns": sum(r["final_transcripts"] > 1 for r in results),
        "turns": results,
    }


async def bench_text(url: str, n: int) -> dict:
    client = await open_kiosk(url)
    times = []
    try:
        for k in range(n + 1):
            await asyncio.sleep(1.0)  # a citizen types for a while: the interrupted reply's last synthesis ends
            mark = len(client.events)
            sent = time.perf_counter()
            await client.send({"type": "text", "text": QUESTIONS[k % len(QUESTIONS)]})
            _, t_bot, _ = await client.wait("bot_message", mark)
            i, t_speech, _ = await client.wait("speech", mark)
            _, t_audio, _ = await client.wait("audio", i)
            if k:  # first one is a warm-up
                times.append((t_audio - sent) * 1000)
                log(
                    f"  text: bot_message {(t_bot - sent) * 1000:.0f} ms, speech {(t_speech - sent) * 1000:.0f} ms, "
                    f"audio {(t_audio - sent) * 1000:.0f} ms"
                )
            await client.fresh()
    finally:
        await client.close()
    return stats(times)


async def bench_barge_in(url: str, utt: Utterance, n: int) -> dict:
    client = await open_kiosk(url)
    times = []
    try:
        for _ in range(n):
            mark = len(client.events)
            await client.send({"type": "text", "text": LONG_ANSWER})
            _, _, bot = await client.wait("bot_message", mark)
            uid = bot["utterance_id"]
            i, _, _ = await client.wait("speech", mark, utterance_id=uid)
            await client.wait("audio", i)
            await asyncio.sleep(0.5)
            start = await client.stream(utt.pcm)
            j, _, end = await client.wait("speech_end", mark, utterance_id=uid)
            onset = start + utt.voiced_start_s
            # audio frames between this utterance's speech messages and its speech_end are its audio
            last = max((t for t, k, _ in client.events[i:j] if k == "audio"), default=None)
            if end["interrupted"] and last is not None:
                times.append(max(0.0, last - onset) * 1000)
            await client.wait("metrics", j)  # the barge-in question's own reply
            await client.fresh()
    finally:
        await client.close()
    return stats(times)


async def bench_concurrent(url: str, utts: list[Utterance], kiosks: int, rounds: int) -> dict:
    clients = [await open_kiosk(url, f"bench-{k}") for k in range(kiosks)]
    latencies: list[float] = []

    async def talk(k: int, client: Client) -> None:
        await asyncio.sleep(k * 0.05)  # they start talking within a few hundred ms of each other
        for r in range(rounds):
            result = await voice_turn(client, utts[(k + r) % len(utts)], play_full=True)
            latencies.append(result["voice_to_voice_ms"])

    try:
        await asyncio.gather(*(talk(k, c) for k, c in enumerate(clients)))
    finally:
        for c in clients:
            await c.close()
    return stats(latencies)


def start_bridge(rasa_url: str, model: str, port: int, log_path: Path, extra: list[str]) -> subprocess.Popen:
    cmd = [
        str(APP_PY),
        "-m",
        "avatar_bridge",
        "--port",
        str(port),
        "--rasa-url",
        rasa_url,
        "--asr-model",
        model,
        "--tts-variation",
        "0",
        "--max-sessions",
        "16",
        "--max-hands-free",  # every stress kiosk hands-free: the admission limit is what this measures against
        "16",
        "--log-level",
        "INFO",
        *extra,
    ]
    proc, _ = start_process(cmd, f"http://127.0.0.1:{port}/health", log_path, 120, cwd=REPO)
    return proc


def environment() -> dict:
    return machine_environment(("pipecat-ai", "faster-whisper", "ctranslate2", "piper-tts", "onnxruntime"))


def markdown(data: dict) -> str:
    env = data["environment"]
    t = data["targets_ms"]
    lines = [
        BEGIN,
        "## Avatar bridge (issue 4)",
        "",
        f"`make bench-bridge` on {env['cpus']} cores ({env['cpu']}), {env['date']}, niceness {env['niceness']}, "
        f"1-min load average at start {env['load_average_at_start'][0]}, during the run mean "
        f"{env['load_average_1min_during_run']['mean']} / max {env['load_average_1min_during_run']['max']}, "
        f"at end {env['load_average_at_end'][0]} (the benchmark itself keeps about one core busy; more means other "
        "work shared the two cores: `busy_processes_*` in the JSON name it). "
        "Raw numbers: `benchmarks/results/bridge.json`. "
        f"Hands-free turn taking: VAD start {data['settings']['vad_start_s']} s (min volume "
        f"{data['settings']['vad_min_volume']}), pause {data['settings']['vad_stop_s']} s, Smart-Turn v3, "
        "silence fallback "
        f"{data['settings']['end_silence_s']} s; partial transcripts every {data['settings']['partial_interval_s']} s; "
        "ASR greedy with the short encoder window.",
        "",
        "**Voice-to-voice** (end of the citizen's voiced audio, streamed in real time with trailing silence -> first "
        f"audio frame of the reply; target with tiny.en p50 ≤ {t['voice_p50']} ms, p95 ≤ {t['voice_p95']} ms):",
        "",
        f"| ASR model | turns | p50 | p95 | end of turn p50 (after the {data['settings']['vad_stop_s'] * 1000:.0f} ms "
        "VAD pause) | ASR p50 | dialogue p50 | TTS first chunk p50 | turns split in two |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for model, r in data["voice"].items():
        s = r["stages_ms"]
        lines.append(
            f"| {model} | {r['voice_to_voice_ms']['n']} | {r['voice_to_voice_ms']['p50']} ms | "
            f"{r['voice_to_voice_ms']['p95']} ms | {s['end_of_turn_ms'].get('p50')} ms | "
            f"{s['asr_ms'].get('p50')} ms | {s['dialogue_ms'].get('p50')} ms | "
            f"{s['tts_first_ms'].get('p50')} ms | {r['split_turns']} |"
        )
    c = data["concurrent"]
    lines += [
        "",
        "| measure | n | p50 | p95 | target |",
        "|---|---|---|---|---|",
        f"| text turn -> first audio | {data['text']['n']} | {data['text']['p50']} ms | {data['text']['p95']} ms | "
        f"≤ {t['text']} ms |",
        f"| barge-in stop (citizen starts talking -> last bot audio frame) | {data['barge_in']['n']} | "
        f"{data['barge_in']['p50']} ms | {data['barge_in']['p95']} ms | ≤ {t['barge_in']} ms |",
    ]
    for k, r in c.items():
        lines.append(
            f"| voice-to-voice, {k} kiosk(s) talking at once (tiny.en) | {r['n']} | {r['p50']} ms | {r['p95']} ms | |"
        )
    lines.append(END)  # hand-written analysis lives after the end marker, so a re-run keeps it
    return "\n".join(lines)


def update_docs(section: str) -> None:
    write_section("bridge", section, DOCS)


class LoadSampler:
    """The machine's load while the benchmark runs (other helpers' tests share the two cores)."""

    def __init__(self, period_s: float = 5.0):
        self.samples: list[float] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, args=(period_s,), daemon=True)

    def _run(self, period_s: float) -> None:
        while not self._stop.wait(period_s):
            self.samples.append(os.getloadavg()[0])

    def __enter__(self) -> LoadSampler:
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._stop.set()
        self._thread.join(10)

    def summary(self) -> dict:
        xs = self.samples or [os.getloadavg()[0]]
        return {"samples": len(xs), "mean": round(statistics.mean(xs), 2), "max": round(max(xs), 2)}


def busy_processes(min_cpu: float = 20.0) -> list[str]:
    """Other processes using the CPU right now (`ps`), so a reader can see what the numbers shared the machine with."""
    out = subprocess.run(["ps", "-eo", "pcpu=,args=", "--sort=-pcpu"], capture_output=True, text=True).stdout
    busy = []
    for line in out.splitlines():
        cpu, _, cmd = line.strip().partition(" ")
        if float(cpu or 0) >= min_cpu and "bench_bridge" not in cmd:
            busy.append(f"{float(cpu):.0f}% {cmd.strip()[:110]}")
    return busy[:6]


async def run(args: argparse.Namespace, rasa_url: str, workdir: Path) -> dict:
    tts = PiperEngine(variation=0.0)
    utts = [Utterance(tts, q) for q in QUESTIONS]
    barge = Utterance(tts, "Sorry, where do I go for that?")
    extra = [
        "--end-silence",
        str(args.end_silence),
        "--vad-stop",
        str(args.vad_stop),
        "--partial-interval",
        str(args.partial_interval),
        "--vad-start",
        str(args.vad_start),
        "--vad-min-volume",
        str(args.vad_min_volume),
        "--kiosk-config",
        "",
    ]
    data: dict = {"voice": {}, "concurrent": {}}
    for model in args.models:
        port = free_port()
        proc = start_bridge(rasa_url, model, port, workdir / f"bridge-{model}.log", extra)
        url = f"ws://127.0.0.1:{port}/ws"
        try:
            log(f"{model}: {args.turns} hands-free voice turns")
            data["voice"][model] = await bench_voice(url, utts, args.turns)
            if model == args.models[0]:
                log("text turns")
                data["text"] = await bench_text(url, args.text_turns)
                log("barge-in")
                data["barge_in"] = await bench_barge_in(url, barge, args.barge_ins)
                for k in args.kiosks:
                    log(f"{k} kiosks at once")
                    data["concurrent"][str(k)] = await bench_concurrent(url, utts, k, max(1, args.rounds))
        finally:
            stop(proc)
    return data


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="make bench-bridge", description=__doc__.split("\n")[0])
    parser.add_argument("--models", nargs="+", default=["tiny.en", "base"], help="first one also runs the rest")
    parser.add_argument("--turns", type=int, default=30, help="voice turns per model")
    parser.add_argument("--text-turns", type=int, default=20)
    parser.add_argument("--barge-ins", type=int, default=10)
    parser.add_argument("--kiosks", type=int, nargs="+", default=[1, 4, 8])
    parser.add_argument("--rounds", type=int, default=3, help="voice turns per kiosk in the concurrent runs")
    parser.add_argument("--end-silence", type=float, default=BridgeConfig.end_silence_s)
    parser.add_argument("--vad-stop", type=float, default=BridgeConfig.vad_stop_s)
    parser.add_argument("--vad-min-volume", type=float, default=BridgeConfig.vad_min_volume)
    parser.add_argument("--partial-interval", type=float, default=BridgeConfig.partial_interval_s)
    parser.add_argument("--vad-start", type=float, default=BridgeConfig.vad_start_s)
    parser.add_argument(
        "--quick",
        action="store_true",
        help="a reduced run to try a change (tiny.en, 10 voice, 8 text turns, 5 barge-ins, 1 kiosk); "
        "writes --out (default var/bench-bridge/quick.json), never the docs",
    )
    parser.add_argument("--rasa-url", help="use this running dialogue core instead of starting one")
    parser.add_argument("--out", type=Path, help=f"result file (default {RESULTS.relative_to(REPO)})")
    parser.add_argument("--no-docs", action="store_true")
    args = parser.parse_args(argv)
    logs = REPO / "var" / "bench-bridge"
    if args.quick:
        args.models, args.turns, args.text_turns, args.barge_ins = ["tiny.en"], 10, 8, 5
        args.kiosks, args.rounds = [1], 1
        args.no_docs = True
        args.out = args.out or logs / "quick.json"
    out = args.out or RESULTS
    env = environment()
    env["busy_processes_at_start"] = busy_processes()
    log(f"load average {env['load_average_at_start']}")
    logs.mkdir(parents=True, exist_ok=True)
    log(f"bridge logs in {logs}")
    with tempfile.TemporaryDirectory() as tmp, LoadSampler() as load:
        if args.rasa_url:
            data = asyncio.run(run(args, args.rasa_url, logs))
        else:
            servers = DialogueServers(workdir=Path(tmp), now="2026-12-14T10:00:00").start()
            try:
                data = asyncio.run(run(args, servers.rasa_url, logs))
            finally:
                servers.stop()
    env["load_average_at_end"] = [round(x, 2) for x in os.getloadavg()]
    env["load_average_1min_during_run"] = load.summary()
    env["busy_processes_at_end"] = busy_processes()
    data["environment"] = env
    data["settings"] = {
        "vad_start_s": args.vad_start,
        "vad_stop_s": args.vad_stop,
        "vad_min_volume": args.vad_min_volume,
        "end_silence_s": args.end_silence,
        "partial_interval_s": args.partial_interval,
    }
    data["targets_ms"] = {"voice_p50": 800, "voice_p95": 1200, "text": 300, "barge_in": 250}
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(data, indent=1, ensure_ascii=False), encoding="utf-8")
    section = markdown(data)
    if not args.no_docs:
        update_docs(section)
    print(section)
    return 0


if __name__ == "__main__":
    sys.exit(main())
