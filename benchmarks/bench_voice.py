"""Voice engine benchmark (issue 3): recognition accuracy and latency, synthesis latency.

Not a test: numbers depend on the machine and on whatever else runs on its two
cores, so nothing here asserts. It writes benchmarks/results/voice.json and the
table between the `<!-- voice:begin -->` / `<!-- voice:end -->` markers of
docs/benchmarks.md. Run it niced, as `make bench-voice` does:

    nice -n 10 .venv/app/bin/python benchmarks/bench_voice.py

Measured:
- WER on 60 synthesised citizen questions spoken by two voices (Piper joe and
  espeak-ng en-us), for Whisper base and tiny.en, with and without the
  knowledge-base biasing prompt;
- transcription time of 2, 3, 5 and 10 s utterances at beam 1 and 5 (and the
  stock 30 s encoder window for comparison), and the real-time factor;
- TTS time to first audio of a three-sentence reply (streaming) and TTS
  real-time factor, for both engines.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import statistics
import sys
import time
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from benchmarks.docs_section import write_section  # noqa: E402
from benchmarks.environment import environment as machine_environment  # noqa: E402
from voice.asr import DecodeOptions, Recognizer  # noqa: E402
from voice.streaming import stream_speech  # noqa: E402
from voice.tts import create_engine  # noqa: E402
from voice.wer import wer  # noqa: E402

RESULTS = REPO / "benchmarks" / "results" / "voice.json"
DOCS = REPO / "docs" / "benchmarks.md"
BEGIN, END = "<!-- voice:begin -->", "<!-- voice:end -->"

# Citizens' questions as asked at the kiosk; a third use the pinyin names people really say.
QUESTIONS = [
    "Where do I apply for a new ID card?",
    "How long does the passport take?",
    "I lost my wallet with my social security card inside.",
    "Where can I withdraw money from my housing provident fund?",
    "Can I transfer my gongjijin to Shanghai?",
    "What do I need to move my hukou to Harbor City?",
    "My baby was born last week, what should I do?",
    "Is the newborn registration done on the second floor?",
    "Can I get my shebao card replaced today?",
    "Where do I show the yibao code?",
    "How do I get a juzhuzheng as a migrant worker?",
    "I need to renew my driving licence before it expires.",
    "Do I need an appointment for the marriage registration?",
    "How much is the fee for a replacement ID card?",
    "Where is window C five?",
    "What time does the hall open on Saturday?",
    "Is the service center closed on Christmas Day?",
    "My mother needs a senior citizen card.",
    "Can my son pick up my documents for me?",
    "How do I do the annual pension qualification check?",
    "Can I do the pension face verification on my phone?",
    "I want to claim unemployment insurance.",
    "Where do I apply for the maternity allowance?",
    "How do I enrol my daughter in primary school?",
    "I need a no criminal record certificate for a visa.",
    "How do I get a Hong Kong and Macao permit?",
    "Where do I register a small company?",
    "Can I register a getihu shop here?",
    "What papers do I need for the property registration?",
    "How do I file my annual income tax reconciliation?",
    "Can I get a tax refund this year?",
    "My father died, how do I cancel his hukou?",
    "Is there a funeral subsidy for families?",
    "Where do I apply for a disability certificate?",
    "What is the canjizheng and where do I get it?",
    "Can I see a doctor in another province with my medical insurance?",
    "How do I register for yidi jiuyi?",
    "Can I move my pension insurance to another city?",
    "How do I take out my gongjijin to pay rent?",
    "Where is the help desk?",
    "Is there a lift to the third floor?",
    "Where are the toilets?",
    "Can I pay with my phone at the window?",
    "How do I check the progress of my application?",
    "I forgot my ticket number, what do I do?",
    "Is there somewhere to print a copy of my ID card?",
    "Can I make a complaint about the waiting time?",
    "Which documents do I need for the hukou transfer?",
    "How many days does the social security card take?",
    "I want to change the address on my driving licence.",
    "Do I need the original marriage certificate or a copy?",
    "Can foreigners apply for a residence permit here?",
    "Where do I collect my property certificate?",
    "How do I apply for the huzhao renewal?",
    "Is the shenfenzheng free for children?",
    "Where do I get the medical insurance electronic certificate?",
    "How can I download the Harbor City app?",
    "Which window handles the business licence?",
    "Can I get the old age allowance for my grandfather?",
    "Thank you, that is all I needed.",
]
REPLY = (
    "For a new social security card, go to window B12 on the second floor. "
    "Bring your ID card and one photo. The card is free and takes five working days."
)
LENGTHS_S = (2, 3, 5, 10)
LENGTH_TEXTS = {
    2: "Where is window B12?",
    3: "How do I transfer my hukou to Harbor City?",
    5: "I lost my social security card last week. Where do I get a new one?",
    10: (
        "Good morning. My father passed away last month and I need to cancel his hukou. "
        "What documents should I bring, and which window do I go to?"
    ),
}


def log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def pcm16_at_16k(speech) -> np.ndarray:
    import soxr

    floats = speech.audio.astype(np.float32) / 32768
    return (soxr.resample(floats, speech.sample_rate, 16000) * 32767).astype(np.int16)


def fixed_length(speech, seconds: float) -> np.ndarray:
    """Speech padded with quiet room noise (or trimmed) to exactly `seconds` at 16 kHz."""
    audio = pcm16_at_16k(speech)
    target = int(seconds * 16000)
    noise = (np.random.default_rng(0).standard_normal(target) * 30).astype(np.int16)
    out = noise.copy()
    out[: min(target, len(audio))] += audio[:target]
    return out


def stats(values: list[float]) -> dict[str, float]:
    ordered = sorted(values)
    return {
        "median": round(statistics.median(ordered), 1),
        "mean": round(statistics.fmean(ordered), 1),
        "p90": round(ordered[min(len(ordered) - 1, int(0.9 * len(ordered)))], 1),
        "max": round(ordered[-1], 1),
    }


def bench_wer(voices: dict[str, list], models: list[str]) -> dict:
    results: dict = {}
    for model in models:
        for bias in ("prompt", "none"):
            recognizer = Recognizer(model, bias=bias)
            recognizer.transcribe(np.zeros(16000, dtype=np.int16) + 1000, 16000)  # warm-up
            for voice, items in voices.items():
                pairs, elapsed, rtf, misheard = [], [], [], []
                for text, audio in items:
                    transcript = recognizer.transcribe(audio, 16000)
                    pairs.append((text, transcript.text))
                    elapsed.append(transcript.elapsed_ms)
                    rtf.append(transcript.elapsed_ms / max(1, transcript.duration_ms))
                    if wer([(text, transcript.text)]).errors:
                        misheard.append([text, transcript.text])
                score = wer(pairs)
                key = f"{model}/{voice}/{'biased' if bias == 'prompt' else 'unbiased'}"
                results[key] = {
                    "model": model,
                    "voice": voice,
                    "biasing": bias,
                    "utterances": len(items),
                    "words": score.words,
                    "errors": score.errors,
                    "wer": round(score.wer, 4),
                    "elapsed_ms": stats(elapsed),
                    "rtf": stats(rtf),
                    "misheard": misheard,
                }
                log(f"  WER {key}: {score.wer:.1%}  (median {stats(elapsed)['median']} ms)")
    return results


def bench_latency(piper, models: list[str], repeats: int) -> dict:
    utterances = {s: fixed_length(piper.synthesize(LENGTH_TEXTS[s]), s) for s in LENGTHS_S}
    results: dict = {}
    for model in models:
        recognizer = Recognizer(model)
        recognizer.transcribe(utterances[2], 16000)  # warm-up
        configs = [
            ("beam1", DecodeOptions(beam_size=1)),
            ("beam5", DecodeOptions(beam_size=5)),
            ("beam1-full-window", DecodeOptions(beam_size=1, encoder_window="full")),
        ]
        for name, options in configs:
            for seconds, audio in utterances.items():
                times = [recognizer.transcribe(audio, 16000, decode=options).elapsed_ms for _ in range(repeats)]
                key = f"{model}/{name}/{seconds}s"
                results[key] = {
                    "model": model,
                    "decode": name,
                    "audio_s": seconds,
                    "elapsed_ms": stats(times),
                    "rtf": round(statistics.median(times) / (seconds * 1000), 3),
                }
                log(f"  ASR {key}: median {statistics.median(times):.0f} ms")
    return results


async def _ttfa(engine, repeats: int) -> list[float]:
    values = []
    for _ in range(repeats):
        stream = stream_speech(engine, REPLY)
        async for _chunk in stream:
            values.append(stream.time_to_first_audio_ms)
            break
        await stream.aclose()
        await asyncio.sleep(0.3)  # let a cancelled look-ahead sentence finish in its thread
    return values


def bench_tts(repeats: int) -> dict:
    results: dict = {}
    for name in ("piper", "espeak"):
        engine = create_engine(name)
        engine.synthesize("Warm up.")
        ttfa = asyncio.run(_ttfa(engine, repeats))
        rtfs, whole = [], []
        for _ in range(repeats):
            started = time.perf_counter()
            speech = engine.synthesize(REPLY)
            took = (time.perf_counter() - started) * 1000
            whole.append(took)
            rtfs.append(took / speech.duration_ms)
        results[name] = {
            "voice": engine.voice,
            "time_to_first_audio_ms": stats(ttfa),
            "whole_reply_ms": stats(whole),
            "reply_audio_ms": speech.duration_ms,
            "rtf": round(statistics.median(rtfs), 4),
        }
        log(f"  TTS {name}: TTFA median {statistics.median(ttfa):.0f} ms, RTF {statistics.median(rtfs):.3f}")
    return results


def environment() -> dict:
    return machine_environment(
        ("faster-whisper", "ctranslate2", "piper-tts", "onnxruntime", "numpy", "espeakng-loader")
    )


def markdown(data: dict) -> str:
    env = data["environment"]
    lines = [
        BEGIN,
        "## Voice engines (issue 3)",
        "",
        f"`make bench-voice` on {env['cpus']} cores ({env['cpu'] or 'unknown CPU'}), {env['date']}, "
        f"load average at start {env['load_average_at_start'][0]}. Raw numbers: `benchmarks/results/voice.json`.",
        "",
        f"**Word error rate** on {len(QUESTIONS)} synthesised citizen questions (Piper: each question synthesised "
        "twice, as Piper's output varies from run to run; lower is better; target: ≤ 8 % with biasing on the Piper "
        "voice):",
        "",
        "| model | voice | utterances | with KB biasing | without | median time per question (biased / not) |",
        "|---|---|---|---|---|---|",
    ]
    wers = data["wer"]
    for key, row in wers.items():
        if row["biasing"] != "prompt":
            continue
        other = wers[key.replace("/biased", "/unbiased")]
        times = f"{row['elapsed_ms']['median']:.0f} / {other['elapsed_ms']['median']:.0f} ms"
        lines.append(
            f"| {row['model']} | {row['voice']} | {row['utterances']} | {row['wer']:.1%} | "
            f"{other['wer']:.1%} | {times} |"
        )
    lines += [
        "",
        "**Transcription time** (median ms over repeats; default decoding = greedy, short encoder window, KB "
        "prompt; targets for 3 s: tiny.en ≤ 300 ms, base ≤ 700 ms):",
        "",
        "| model | decoding | " + " | ".join(f"{s} s" for s in LENGTHS_S) + " | RTF at 10 s |",
        "|---|---|" + "---|" * len(LENGTHS_S) + "---|",
    ]
    latency = data["asr_latency"]
    for model in data["models"]:
        for decode in ("beam1", "beam5", "beam1-full-window"):
            cells = [f"{latency[f'{model}/{decode}/{s}s']['elapsed_ms']['median']:.0f}" for s in LENGTHS_S]
            lines.append(
                f"| {model} | {decode} | " + " | ".join(cells) + f" | {latency[f'{model}/{decode}/10s']['rtf']:.3f} |"
            )
    lines += [
        "",
        "**Speech synthesis** (three-sentence reply; target: time to first audio ≤ 150 ms):",
        "",
        "| engine | voice | time to first audio (median / p90) | whole reply | RTF |",
        "|---|---|---|---|---|",
    ]
    for name, row in data["tts"].items():
        lines.append(
            f"| {name} | {row['voice']} | {row['time_to_first_audio_ms']['median']:.0f} / "
            f"{row['time_to_first_audio_ms']['p90']:.0f} ms | {row['whole_reply_ms']['median']:.0f} ms for "
            f"{row['reply_audio_ms'] / 1000:.1f} s of audio | {row['rtf']:.3f} |"
        )
    lines.append(END)
    return "\n".join(lines)


def update_docs(section: str) -> None:
    write_section("voice", section, DOCS)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Benchmark the voice engines (not a test; takes ~5 minutes).")
    parser.add_argument("--models", nargs="+", default=["base", "tiny.en"])
    parser.add_argument("--questions", type=int, default=len(QUESTIONS), help="use only the first N questions")
    parser.add_argument("--repeats", type=int, default=5, help="repeats per latency measurement")
    parser.add_argument(
        "--renditions",
        type=int,
        default=2,
        help="Piper renditions per question (Piper is stochastic; 2 halves the run-to-run spread)",
    )
    parser.add_argument("--no-docs", action="store_true", help="do not rewrite the section in docs/benchmarks.md")
    args = parser.parse_args(argv)

    data: dict = {"environment": environment(), "models": args.models}
    log(f"voice benchmark, load average {data['environment']['load_average_at_start']}")
    piper, espeak = create_engine("piper"), create_engine("espeak")
    questions = QUESTIONS[: args.questions]
    log(f"synthesising {len(questions)} questions with two voices ...")
    voices = {
        "piper-joe": [(q, pcm16_at_16k(piper.synthesize(q))) for _ in range(args.renditions) for q in questions],
        "espeak-en-us": [(q, pcm16_at_16k(espeak.synthesize(q))) for q in questions],
    }
    data["wer"] = bench_wer(voices, args.models)
    data["asr_latency"] = bench_latency(piper, args.models, args.repeats)
    data["tts"] = bench_tts(max(5, args.repeats * 2))
    data["environment"]["load_average_at_end"] = [round(x, 2) for x in os.getloadavg()]

    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps(data, indent=1, ensure_ascii=False), encoding="utf-8")
    section = markdown(data)
    if not args.no_docs:
        update_docs(section)
    print(section)
    return 0


if __name__ == "__main__":
    sys.exit(main())
