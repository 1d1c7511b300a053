"""Spoken end-to-end evaluation (issue 10): held-out questions, unseen voices, through the running bridge.

Every service question of tests/nlu/citizen_split.yml is synthesised with each
evaluation voice (Festival kal, espeak-ng variants: voices no tuning step
used; WAVs cached under var/voice-cache/), then sent to a real bridge
(`python -m avatar_bridge`, started here against a real Rasa server and action
server on free loopback ports) as a push-to-talk turn over the websocket:
`hello`, `audio_start`, the PCM, `audio_end`. The turn scores a hit when the
reply card is the expected service's card (`kind: service`, `service_id`); a
choice card, a "which service?" card, a fallback or no card is a miss.

Writes benchmarks/results/spoken.json: per voice accuracy, n and every miss
with what the recogniser heard (and what the correction made of it); the
lead's `make bench-dialogue` merges it into dialogue.json. `--voices typed`
adds the same questions typed (key `typed_baseline`): the gap between the two
is what recognition loses. Results of another `--asr-model` run can be merged
under `other_asr_models` (the docs table shows them). Not a test: nothing
here asserts. Run niced:

    nice -n 10 .venv/app/bin/python benchmarks/bench_spoken.py --limit 48 --voices festival-kal
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

import httpx
from websockets.sync.client import connect

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from benchmarks.docs_section import write_section  # noqa: E402
from benchmarks.environment import environment as machine_environment  # noqa: E402
from benchmarks.voices import EVALUATION_VOICES, VoiceCache, citizen_service_questions, spread  # noqa: E402
from testkit.dialogue import DialogueServers, current_model  # noqa: E402
from testkit.servers import free_port  # noqa: E402

RESULTS = REPO / "benchmarks" / "results" / "spoken.json"
APP_PY = REPO / ".venv" / "app" / "bin" / "python"
KIOSK_ID = "spoken-bench"  # not in config/kiosks.yml: the bridge's --asr-model applies
CHUNK_BYTES = 3200  # 100 ms of 16 kHz PCM16
BURST_S = 5.0  # the bridge accepts a burst of audio_burst_s (6 s), then 1.5x real time
PACE = 1.3  # after the burst, send at this multiple of real time
TURN_TIMEOUT_S = 120.0  # a bound for a loaded shared machine, not a latency target
TYPED = "typed"  # --voices typed: the questions as text through the same bridge, the no-recognition baseline


def log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def start_bridge(rasa_url: str, model: str, port: int, log_path: Path) -> subprocess.Popen:
    cmd = [str(APP_PY), "-m", "avatar_bridge", "--port", str(port), "--rasa-url", rasa_url, "--asr-model", model,
           "--tts-variation", "0", "--log-level", "INFO"]  # fmt: skip
    proc = subprocess.Popen(cmd, cwd=REPO, stdout=log_path.open("w"), stderr=subprocess.STDOUT)
    for _ in range(900):
        if proc.poll() is not None:
            raise RuntimeError(f"bridge exited during start-up; see {log_path}")
        try:
            if httpx.get(f"http://127.0.0.1:{port}/health", timeout=1).status_code == 200:
                return proc
        except httpx.HTTPError:
            pass
        time.sleep(0.2)
    proc.terminate()
    raise RuntimeError(f"bridge did not start; see {log_path}")


def spoken_turn(url: str, pcm: bytes) -> dict:
    """One push-to-talk question in a fresh session: what was heard and the reply's card."""
    with connect(url, max_size=2**24, open_timeout=30) as ws:

        def wait(kind: str) -> dict:
            deadline = time.monotonic() + TURN_TIMEOUT_S
            while True:
                data = ws.recv(timeout=max(1.0, deadline - time.monotonic()))
                if isinstance(data, bytes):
                    continue
                message = json.loads(data)
                if message["type"] == kind:
                    return message
                if message["type"] == "error":
                    raise RuntimeError(f"bridge error: {message}")

        ws.send(json.dumps({"type": "hello", "protocol": "1", "kiosk_id": KIOSK_ID, "language": "en",
                            "capabilities": {"audio_in": True, "audio_out": True}}))  # fmt: skip
        wait("session")
        ws.send(json.dumps({"type": "audio_start", "sample_rate": 16000, "encoding": "pcm16"}))
        started = time.monotonic()
        for sent in range(0, len(pcm), CHUNK_BYTES):
            ws.send(pcm[sent : sent + CHUNK_BYTES])
            audio_s = (sent + CHUNK_BYTES) / 32000
            if audio_s > BURST_S:
                delay = started + (audio_s - BURST_S) / PACE - time.monotonic()
                if delay > 0:
                    time.sleep(delay)
        ws.send(json.dumps({"type": "audio_end"}))
        transcript = wait("transcript")
        while transcript.get("kind") == "partial":
            transcript = wait("transcript")
        bot = wait("bot_message")
        return {"heard": transcript["text"], "card": bot.get("card"), "reply": bot.get("text", "")}


def typed_turn(url: str, text: str) -> dict:
    """The same question typed at the kiosk: the baseline that tells recognition losses from understanding ones."""
    with connect(url, max_size=2**24, open_timeout=30) as ws:
        ws.send(json.dumps({"type": "hello", "protocol": "1", "kiosk_id": KIOSK_ID, "language": "en",
                            "capabilities": {"audio_in": False, "audio_out": False}}))  # fmt: skip
        deadline = time.monotonic() + TURN_TIMEOUT_S
        sent = False
        while True:
            data = ws.recv(timeout=max(1.0, deadline - time.monotonic()))
            if isinstance(data, bytes):
                continue
            message = json.loads(data)
            if message["type"] == "session" and not sent:
                ws.send(json.dumps({"type": "text", "text": text}))
                sent = True
            elif message["type"] == "bot_message":
                return {"heard": text, "card": message.get("card"), "reply": message.get("text", "")}
            elif message["type"] == "error":
                raise RuntimeError(f"bridge error: {message}")


def score_card(card: dict | None, expected: str) -> tuple[bool, str]:
    """(hit, what the guide did): only the expected service's own card counts."""
    if not card:
        return False, "no card"
    if card.get("kind") == "service":
        return card.get("service_id") == expected, f"service {card.get('service_id')}"
    return False, f"{card.get('kind')} {card.get('topic', '')}".strip()


def markdown(data: dict) -> str:
    env = data["environment"]
    lines = [
        "<!-- spoken:begin -->",
        "## Spoken end-to-end service accuracy (issue 10)",
        "",
        f"`make bench-spoken` on {env['cpus']} cores, {env['date']}: held-out service questions of "
        f"`tests/nlu/citizen_split.yml` ({data['limit'] or 'all'} of {data['questions_in_split']}, spread over "
        f"the services), synthesised by voices no tuning used, each a push-to-talk turn through the running "
        f"bridge (ASR {data['asr_model']}, KB-prompt biasing, post-recognition correction) against dialogue "
        f"model `{data['dialogue_model']}`. A hit is the expected service's own card; a choice, a fallback or "
        "no card is a miss. Target ≥ 0.90 per voice. Misses with what was heard: `benchmarks/results/spoken.json`.",
        "",
        "| voice | n | accuracy | outcomes |",
        "|---|---|---|---|",
    ]
    rows = [(voice, data["asr_model"], row) for voice, row in data["voices"].items()]
    for model, voices in data.get("other_asr_models", {}).items():  # merged from a run with --asr-model
        rows += [(voice, model, row) for voice, row in voices.items()]
    if "typed_baseline" in data:  # merged from a run with --voices typed
        rows.append(("typed (no recognition)", "-", data["typed_baseline"]))
    lines[-2] = "| voice | ASR | n | accuracy | outcomes |"
    lines[-1] = "|---|---|---|---|---|"
    for voice, model, row in rows:
        outcomes = ", ".join(f"{k} {v}" for k, v in sorted(row["outcomes"].items()))
        lines.append(f"| {voice} | {model} | {row['n']} | {row['accuracy']:.1%} | {outcomes} |")
    lines += ["", "<!-- spoken:end -->"]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description="Spoken end-to-end service accuracy: held-out questions, unseen voices, the running bridge."
    )
    parser.add_argument(
        "--voices",
        nargs="+",
        default=list(EVALUATION_VOICES),
        help=f"evaluation voices ({', '.join(EVALUATION_VOICES)}); '{TYPED}' adds the typed baseline",
    )
    parser.add_argument("--limit", type=int, default=None, help="questions per voice, spread over all services")
    parser.add_argument("--asr-model", default="tiny.en", help="the bridge's recogniser (tiny.en or base)")
    parser.add_argument("--output", type=Path, default=RESULTS)
    parser.add_argument("--no-docs", action="store_true", help="do not rewrite the section in docs/benchmarks.md")
    args = parser.parse_args(argv)

    questions = spread(citizen_service_questions(), args.limit)
    cache = VoiceCache()
    log(f"synthesising {len(questions)} questions x {len(args.voices)} voices (cached under {cache.root}) ...")
    audio = {}
    for voice in args.voices:
        if voice == TYPED:
            continue
        for n, q in enumerate(questions, 1):
            audio[(voice, q["text"])] = cache.pcm(voice, q["text"]).tobytes()
            if n % 25 == 0:
                log(f"  {voice}: {n}/{len(questions)}")

    model = current_model()
    data: dict = {
        "environment": machine_environment(("faster-whisper", "ctranslate2", "rasa")),
        "dialogue_model": model.name,
        "asr_model": args.asr_model,
        "questions_in_split": len(citizen_service_questions()),
        "limit": args.limit,
        "scoring": "hit = reply card kind 'service' with the expected service_id; choice/fallback/no card = miss",
        "voices": {},
    }
    with tempfile.TemporaryDirectory(prefix="spoken-") as tmp:
        log(f"starting Rasa ({model.name}) and the action server ...")
        servers = DialogueServers(workdir=Path(tmp) / "dialogue")
        port = free_port()
        bridge = None
        try:
            servers.start()  # inside try: a Rasa that fails to start must not leave the action server running
            log(f"starting the bridge (ASR {args.asr_model}) on port {port} ...")
            bridge = start_bridge(servers.rasa_url, args.asr_model, port, Path(tmp) / "bridge.log")
            url = f"ws://127.0.0.1:{port}/ws"
            for voice in args.voices:
                hits, misses, outcomes, started = 0, [], Counter(), time.monotonic()
                for n, q in enumerate(questions, 1):
                    try:
                        if voice == TYPED:
                            turn = typed_turn(url, q["text"])
                        else:
                            turn = spoken_turn(url, audio[(voice, q["text"])])
                        hit, outcome = score_card(turn["card"], q["service"])
                    except Exception as exc:  # a failed turn is a miss, and the log says why
                        turn, hit, outcome = {"heard": "", "reply": ""}, False, f"error: {exc}"
                    outcomes[outcome.split()[0]] += 1
                    if hit:
                        hits += 1
                    else:
                        misses.append({"text": q["text"], "expected": q["service"], "style": q.get("style"),
                                       "heard": turn["heard"], "got": outcome})  # fmt: skip
                    if n % 10 == 0 or n == len(questions):
                        log(f"  {voice}: {n}/{len(questions)}, accuracy so far {hits / n:.1%} "
                            f"({time.monotonic() - started:.0f} s)")  # fmt: skip
                data["voices"][voice] = {
                    "accuracy": round(hits / len(questions), 4),
                    "n": len(questions),
                    "hits": hits,
                    "outcomes": dict(outcomes),
                    "misses": misses,
                }
                log(f"{voice}: spoken service accuracy {hits}/{len(questions)} = {hits / len(questions):.1%}")
        finally:
            if bridge is not None:
                bridge.terminate()
                try:
                    bridge.wait(20)
                except subprocess.TimeoutExpired:
                    bridge.kill()
            servers.stop()
    if TYPED in data["voices"]:  # a baseline, not a voice: the lead's merge reads per-voice accuracy from "voices"
        data["typed_baseline"] = data["voices"].pop(TYPED)
    data["environment"]["load_average_at_end"] = [round(x, 2) for x in os.getloadavg()]
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text(json.dumps(data, indent=1, ensure_ascii=False), encoding="utf-8")
    for voice, row in data["voices"].items():
        print(f"{voice}: {row['accuracy']:.1%} of {row['n']} ({row['outcomes']})")
    if not args.no_docs:
        write_section("spoken", markdown(data))
    print(f"written {args.output}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
