"""Recogniser biasing, measured honestly: initial prompt vs faster-whisper `hotwords` vs none (issue 10).

Not a test: it writes benchmarks/results/biasing.json and the table between the
`<!-- biasing:begin -->` / `<!-- biasing:end -->` markers of docs/benchmarks.md.

Three phrase sets, three biasing modes, two models (tiny.en, base):
- *tuning*: the 60 kiosk questions of bench_voice.py on the tuning voices
  (Piper joe, espeak-ng en-us). Options and fixes were chosen on these only.
- *evaluation*: service questions of the held-out split tests/nlu/citizen_split.yml
  (evenly spread, every service represented) on the evaluation voices
  (Festival kal, espeak-ng en-us+f3 and en-gb+m3), which no tuning step heard.
- *plain*: everyday English without a single domain word, on the evaluation
  voices: biasing must not make ordinary sentences worse.

Metrics: WER (voice.wer normalisation), domain-word recall (of the reference's
knowledge-base words, e.g. certificate, maternity, provident, hukou, the share
found in the transcript) and, with `voice.correction`, the same after the
post-recognition step.

    nice -n 10 .venv/app/bin/python benchmarks/bench_biasing.py --questions 48
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from collections import Counter
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from benchmarks.bench_voice import QUESTIONS  # noqa: E402
from benchmarks.docs_section import write_section  # noqa: E402
from benchmarks.environment import environment as machine_environment  # noqa: E402
from benchmarks.voices import EVALUATION_VOICES, TUNING_VOICES, VoiceCache, citizen_service_questions, spread  # noqa: E402
from voice.asr import Recognizer  # noqa: E402
from voice.correction import Corrector, domain_words  # noqa: E402
from voice.wer import wer, words_for_scoring  # noqa: E402

RESULTS = REPO / "benchmarks" / "results" / "biasing.json"
DOCS = REPO / "docs" / "benchmarks.md"
MODES = ("prompt", "hotwords", "none")

# Everyday English with no knowledge-base word: what biasing must not damage.
PLAIN = [
    "Good morning, how are you today?",
    "It is raining a lot this afternoon.",
    "Could you speak a little more slowly please?",
    "I have been waiting here for about twenty minutes.",
    "My phone battery is almost empty.",
    "Is there a place where I can sit down?",
    "We came here by taxi because the traffic was terrible.",
    "Thank you very much, you have been very helpful.",
    "Sorry, I did not hear what you said.",
    "Can you repeat that one more time?",
    "The weather is much warmer than yesterday.",
    "I forgot my glasses at home.",
    "What time is it now?",
    "My daughter is waiting outside with the dog.",
    "I would like a glass of water, please.",
    "The lift was broken so we walked up the stairs.",
    "Where can I buy a coffee nearby?",
    "That sounds fine, I will come back tomorrow.",
    "Please wait while I look for my wallet.",
    "He does not speak English very well.",
    "We are going to visit my sister next weekend.",
    "Is the window by the door open?",
    "I am not sure I understand the question.",
    "The children are hungry and tired.",
]


def log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def domain_recall(pairs: list[tuple[str, str]], vocab: set[str]) -> tuple[int, int, list[list[str]]]:
    """(found, expected, misses): reference domain words (with multiplicity) present in the hypothesis."""
    found = expected = 0
    misses: list[list[str]] = []
    for reference, hypothesis in pairs:
        want = Counter(w for w in words_for_scoring(reference) if w in vocab)
        have = Counter(words_for_scoring(hypothesis))
        hit = sum(min(n, have[w]) for w, n in want.items())
        found += hit
        expected += sum(want.values())
        lost = sorted((want - have).elements())
        if lost:
            misses.append([reference, hypothesis, " ".join(lost)])
    return found, expected, misses


def score(pairs: list[tuple[str, str]], vocab: set[str]) -> dict:
    result = wer(pairs)
    found, expected, misses = domain_recall(pairs, vocab)
    return {
        "utterances": len(pairs),
        "words": result.words,
        "wer": round(result.wer, 4),
        "domain_words": expected,
        "domain_recall": round(found / expected, 4) if expected else None,
        "domain_misses": misses,
    }


def _pct(value: float | None) -> str:
    return "-" if value is None else f"{value:.1%}"


def run(args: argparse.Namespace, checkpoint=None) -> dict:
    vocab = domain_words()
    plain_hits = [p for p in PLAIN if set(words_for_scoring(p)) & vocab]
    if plain_hits:
        raise SystemExit(f"plain phrases contain domain words: {plain_hits}")
    corrector = Corrector.from_knowledge_base()
    cache = VoiceCache()
    held_out = [q["text"] for q in spread(citizen_service_questions(), args.questions)]
    sets = {
        "tuning": (QUESTIONS[: args.tuning_questions], TUNING_VOICES),
        "evaluation": (held_out, tuple(args.voices)),
        "plain": (PLAIN, tuple(args.voices)),
    }
    total = sum(len(t) * len(v) for t, v in sets.values())
    log(f"synthesising {total} utterances (cached under {cache.root}) ...")
    audio: dict[tuple[str, str, str], np.ndarray] = {}
    for name, (texts, voices) in sets.items():
        for voice in voices:
            for text in texts:
                audio[(name, voice, text)] = cache.pcm(voice, text)
    results: dict = {}
    for model in args.models:
        for mode in args.modes:
            recognizer = Recognizer(model, bias=mode)
            recognizer.transcribe(np.zeros(16000, dtype=np.int16) + 1000, 16000)  # warm-up
            for name, (texts, voices) in sets.items():
                for voice in voices:
                    started = time.perf_counter()
                    pairs, corrected, elapsed = [], [], []
                    for text in texts:
                        transcript = recognizer.transcribe(audio[(name, voice, text)], 16000)
                        pairs.append((text, transcript.text))
                        corrected.append((text, corrector.correct(transcript.text).text))
                        elapsed.append(transcript.elapsed_ms)
                    row = {"model": model, "biasing": mode, "set": name, "voice": voice}
                    row |= score(pairs, vocab)
                    after = score(corrected, vocab)
                    row["corrected"] = {k: after[k] for k in ("wer", "domain_recall", "domain_misses")}
                    row["corrections"] = [[h, c] for (_, h), (_, c) in zip(pairs, corrected, strict=True) if h != c]
                    row["transcripts"] = [[ref, hyp] for ref, hyp in pairs]  # to re-score a changed correction
                    row["median_ms"] = round(float(np.median(elapsed)))
                    key = f"{model}/{mode}/{name}/{voice}"
                    results[key] = row
                    if checkpoint is not None:
                        checkpoint(results)  # a long run interrupted still leaves what it measured
                    log(
                        f"  {key}: WER {row['wer']:.1%} -> {after['wer']:.1%} corrected; domain recall "
                        f"{_pct(row['domain_recall'])} -> {_pct(after['domain_recall'])}; "
                        f"{row['median_ms']} ms median ({time.perf_counter() - started:.0f} s)"
                    )
    return results


def aggregate(results: dict, model: str, mode: str, name: str, corrected: bool = False) -> dict:
    rows = [r for r in results.values() if r["model"] == model and r["biasing"] == mode and r["set"] == name]
    words = sum(r["words"] for r in rows)
    if corrected:
        errors = sum(r["corrected"]["wer"] * r["words"] for r in rows)
        found = sum((r["corrected"]["domain_recall"] or 0) * r["domain_words"] for r in rows)
    else:
        errors = sum(r["wer"] * r["words"] for r in rows)
        found = sum((r["domain_recall"] or 0) * r["domain_words"] for r in rows)
    expected = sum(r["domain_words"] for r in rows)
    return {"wer": errors / words if words else 0.0, "recall": found / expected if expected else None}


def markdown(data: dict) -> str:
    results = data["results"]
    env = data["environment"]
    lines = [
        "<!-- biasing:begin -->",
        "## Recogniser biasing and post-recognition correction (issue 10)",
        "",
        f"`benchmarks/bench_biasing.py` on {env['cpus']} cores, {env['date']}. Tuning voices "
        f"({', '.join(TUNING_VOICES)}) chose the options; evaluation voices ({', '.join(data['voices'])}) never "
        f"took part. Evaluation phrases: {data['questions']} service questions of the held-out "
        f"`tests/nlu/citizen_split.yml`; plain: {len(PLAIN)} everyday sentences with no domain word. "
        "Cells: WER / domain-word recall, then after the post-recognition correction (`voice.correction`).",
        "",
        "| model | biasing | tuning WER / recall | evaluation WER / recall | + correction | plain WER | "
        "+ correction | median ms per question (load avg ~15: compare within a run only) |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for model in data["models"]:
        for mode in data["modes"]:
            t = aggregate(results, model, mode, "tuning")
            e = aggregate(results, model, mode, "evaluation")
            ec = aggregate(results, model, mode, "evaluation", corrected=True)
            p = aggregate(results, model, mode, "plain")
            pc = aggregate(results, model, mode, "plain", corrected=True)
            ms = [r["median_ms"] for r in results.values() if r["model"] == model and r["biasing"] == mode]
            lines.append(
                f"| {model} | {mode} | {t['wer']:.1%} / {t['recall']:.1%} | {e['wer']:.1%} / {e['recall']:.1%} | "
                f"{ec['wer']:.1%} / {ec['recall']:.1%} | {p['wer']:.1%} | {pc['wer']:.1%} | "
                f"{int(np.median(ms)) if ms else '-'} |"
            )
    lines += ["", "<!-- biasing:end -->"]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Compare recogniser biasing modes on unseen voices (~15 minutes).")
    parser.add_argument("--models", nargs="+", default=["tiny.en", "base"])
    parser.add_argument("--modes", nargs="+", default=list(MODES), choices=["prompt", "hotwords", "both", "none"])
    parser.add_argument("--voices", nargs="+", default=list(EVALUATION_VOICES), help="evaluation voices")
    parser.add_argument("--questions", type=int, default=48, help="held-out questions, spread over services")
    parser.add_argument("--tuning-questions", type=int, default=len(QUESTIONS))
    parser.add_argument("--no-docs", action="store_true", help="do not rewrite the section in docs/benchmarks.md")
    parser.add_argument("--output", type=Path, default=RESULTS)
    args = parser.parse_args(argv)
    data: dict = {
        "environment": machine_environment(("faster-whisper", "ctranslate2")),
        "models": args.models,
        "modes": args.modes,
        "voices": args.voices,
        "questions": args.questions,
    }

    def checkpoint(partial: dict) -> None:
        args.output.parent.mkdir(parents=True, exist_ok=True)
        args.output.write_text(json.dumps(data | {"results": partial, "partial": True}, indent=1), encoding="utf-8")

    data["results"] = run(args, checkpoint)
    data["environment"]["load_average_at_end"] = [round(x, 2) for x in os.getloadavg()]
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text(json.dumps(data, indent=1, ensure_ascii=False), encoding="utf-8")
    section = markdown(data)
    if not args.no_docs:
        write_section("biasing", section, DOCS)
    print(section)
    return 0


if __name__ == "__main__":
    sys.exit(main())
