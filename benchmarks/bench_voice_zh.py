"""Mandarin speech benchmark (issue 15): recognition CER, language detection, and text → first speech vs English.

Not a test: numbers depend on the machine and on whatever else runs on its two
cores, so nothing here asserts. It writes benchmarks/results/voice_zh.json and the
table between `<!-- voice-zh:begin -->` / `<!-- voice-zh:end -->` in
docs/benchmarks.md. Run it niced, as `make bench-voice-zh` does.

Measured:
- character error rate (CER) of Whisper base with `language=zh` on the Chinese
  test split's service questions (tests/nlu/zh_split.yml; the `typo` ones are
  left out, a voice cannot say a typo), spoken by the offline Mandarin voices:
  espeak-ng `cmn` and its `cmn+f5` variant. No registry package ships another
  Mandarin voice (docs/voice.md). With and without the Chinese knowledge-base
  names in the prompt (`zh_names`, voice.bias.ZH_NAME_BIASING);
- Whisper's language detection on the same Mandarin audio and on English
  questions (Piper, espeak-ng en-us): how often language following would switch
  (rightly, and wrongly);
- text → first speech through the real bridge and dialogue core, Chinese
  questions vs English ones (target: Chinese within 1.5 × English), with the
  bridge's own stage split (`dialogue_ms`, `tts_first_ms`).
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import soxr
import yaml

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from benchmarks.bench_voice import QUESTIONS as ENGLISH_QUESTIONS  # noqa: E402
from benchmarks.docs_section import write_section  # noqa: E402
from benchmarks.environment import environment as machine_environment  # noqa: E402
from voice.asr import FOLLOW_MIN_PROBABILITY, Recognizer  # noqa: E402
from voice.bias import chinese_terms  # noqa: E402
from voice.tts.espeak_engine import EspeakEngine  # noqa: E402
from voice.wer import cer, wer  # noqa: E402

RESULTS = REPO / "benchmarks" / "results" / "voice_zh.json"
SPLIT = REPO / "tests" / "nlu" / "zh_split.yml"
SECTION = "voice-zh"
MANDARIN_VOICES = {"espeak-cmn": "cmn", "espeak-cmn+f5": "cmn+f5"}
PAD_S = 0.2
NAMES = [n for n in chinese_terms()[0] if len(n) >= 2]
# text turns: the same kinds of question in both languages (services, hall, help desk)
TEXT_EN = [
    "Where do I apply for a new ID card?",
    "How long does the passport take?",
    "What do I need to register my newborn baby?",
    "Where is the help desk?",
    "What time does the hall open on Saturday?",
    "How do I withdraw money from my housing fund?",
    "Where do I apply for a residence permit?",
    "I want to claim unemployment insurance.",
    "Where do I register a small company?",
    "Can I get my social security card replaced today?",
]
TEXT_ZH = [
    "身份证在哪里办？",
    "办护照要多久？",
    "孩子刚出生，要办什么手续？",
    "咨询台在哪里？",
    "星期六几点开门？",
    "公积金怎么提取？",
    "居住证在哪里申请？",
    "我想领失业金。",
    "开公司去哪里登记？",
    "社保卡丢了今天能补办吗？",
]


def log(message: str) -> None:
    print(f"[bench-voice-zh {time.strftime('%H:%M:%S')}] {message}", flush=True)


def stats(values: list[float]) -> dict:
    if not values:
        return {"n": 0}
    ordered = sorted(values)
    return {
        "n": len(values),
        "mean": round(statistics.fmean(values), 1),
        "p50": round(statistics.median(values), 1),
        "p95": round(ordered[min(len(ordered) - 1, int(0.95 * len(ordered)))], 1),
    }


def mandarin_questions(limit: int) -> list[str]:
    """Spoken questions of the Chinese test split, evenly spread over its services (typos left out)."""
    data = yaml.safe_load(SPLIT.read_text(encoding="utf-8"))
    texts = [q["text"] for q in data["service_questions"] if q.get("style") != "typo"]
    step = max(1, len(texts) // limit) if limit else 1
    return texts[::step][:limit] if limit else texts


def pcm16k(speech) -> np.ndarray:
    audio = soxr.resample(speech.audio.astype(np.float32) / 32768, speech.sample_rate, 16000)
    pad = np.zeros(int(PAD_S * 16000), np.float32)
    return (np.clip(np.concatenate([pad, audio, pad]), -1, 1) * 32767).astype(np.int16)


def recognition(questions: list[str], recognizers: dict[str, Recognizer]) -> dict:
    out: dict = {}
    detector = next(iter(recognizers.values()))
    for voice_name, voice in MANDARIN_VOICES.items():
        engine = EspeakEngine(voice=voice, language="zh")
        clips = [pcm16k(engine.synthesize(q)) for q in questions]
        detections = [detector.detect_language(clip, 16000) for clip in clips]
        out[voice_name] = {
            "detection": detection_summary(detections, "zh"),
            "audio_s": round(sum(len(c) for c in clips) / 16000, 1),
        }
        for setting, recognizer in recognizers.items():
            pairs, elapsed = [], []
            for question, clip in zip(questions, clips, strict=True):
                transcript = recognizer.transcribe(clip, 16000, language="zh")
                pairs.append((question, transcript.text))
                elapsed.append(transcript.elapsed_ms)
            result = cer(pairs)
            names = name_recall(pairs, NAMES)
            out[voice_name][setting] = {
                "cer": round(result.wer, 4),
                "errors": result.errors,
                "chars": result.words,
                "kb_names_heard": names,
                "asr_ms": stats(elapsed),
                "transcripts": [{"said": said, "heard": heard} for said, heard in pairs],
            }
            log(
                f"{voice_name} {setting}: CER {result.wer:.3f}, KB names {names['heard']}/{names['said']}, "
                f"p50 {statistics.median(elapsed):.0f} ms"
            )
    return out


def names_in(text: str, names: list[str]) -> list[str]:
    """Knowledge-base Chinese names said in a question, longest first, not overlapping."""
    found, taken = [], [False] * len(text)
    for name in sorted(names, key=len, reverse=True):
        start = text.find(name)
        while start != -1:
            if not any(taken[start : start + len(name)]):
                found.append(name)
                taken[start : start + len(name)] = [True] * len(name)
            start = text.find(name, start + 1)
    return found


def name_recall(pairs: list[tuple[str, str]], names: list[str]) -> dict:
    """Of the KB names the questions say (社保卡, 公积金 …), how many are in the transcript: what biasing is for."""
    said = heard = 0
    for reference, hypothesis in pairs:
        for name in names_in(reference, names):
            said += 1
            heard += name in hypothesis
    return {"said": said, "heard": heard, "recall": round(heard / said, 3) if said else None}


def detection_summary(detections: list[dict], expected: str) -> dict:
    """How language following would act on these utterances (switch = a followed language at >= threshold)."""
    confident = [d for d in detections if d["probability"] >= FOLLOW_MIN_PROBABILITY and d["language"] in ("en", "zh")]
    top: dict[str, int] = {}
    for d in detections:
        top[str(d["language"])] = top.get(str(d["language"]), 0) + 1
    return {
        "n": len(detections),
        "confident_right": round(sum(d["language"] == expected for d in confident) / len(detections), 3),
        "confident_wrong": round(sum(d["language"] != expected for d in confident) / len(detections), 3),
        "top_languages": dict(sorted(top.items(), key=lambda kv: -kv[1])[:5]),
        "mean_p_" + expected: round(statistics.fmean(float(d[expected]) for d in detections), 3),
    }


def english_detection(recognizer: Recognizer, limit: int) -> dict:
    """Would an English question ever switch a session to Mandarin? (Piper joe and espeak-ng en-us)."""
    from voice.tts.piper_engine import PiperEngine

    out = {}
    for name, engine in {"piper-joe": PiperEngine(variation=0.0), "espeak-en-us": EspeakEngine(language="en")}.items():
        clips = [pcm16k(engine.synthesize(q)) for q in ENGLISH_QUESTIONS[:limit]]
        out[name] = detection_summary([recognizer.detect_language(c, 16000) for c in clips], "en")
    return out


def english_baseline(recognizer: Recognizer, limit: int) -> dict:
    """WER of the same model on English questions (espeak-ng en-us), for the side-by-side table."""
    engine = EspeakEngine(language="en")
    pairs, elapsed = [], []
    for question in ENGLISH_QUESTIONS[:limit]:
        transcript = recognizer.transcribe(pcm16k(engine.synthesize(question)), 16000, language="en")
        pairs.append((question, transcript.text))
        elapsed.append(transcript.elapsed_ms)
    result = wer(pairs)
    return {"voice": "espeak-en-us", "wer": round(result.wer, 4), "words": result.words, "asr_ms": stats(elapsed)}


def first_speech(turns: int) -> dict:
    """Typed question → first audio frame at the kiosk, English vs Chinese, through the real bridge."""
    from avatar_bridge.app import Engines
    from avatar_bridge.logs import configure_logging
    from testkit.dialogue import Conversation, DialogueServers
    from testkit.kiosk import Kiosk, start_bridge
    from voice.tts.piper_engine import PiperEngine

    configure_logging("WARNING")
    engines = Engines(Recognizer("tiny.en"), PiperEngine(variation=0.0))
    with tempfile.TemporaryDirectory() as tmp:
        servers = DialogueServers(workdir=Path(tmp), now="2026-12-14T10:00:00").start()
        bridge = start_bridge(engines, rasa_url=servers.rasa_url, rasa_timeout_s=60, rasa_retries=0, rasa_deadline_s=0)
        try:
            for warm_up in ("hello", "你好"):  # the first message of each language loads its side of the servers
                Conversation(servers).say(warm_up)
            results: dict[str, dict[str, list[float]]] = {}
            for round_ in range(turns):  # alternate languages so load changes hit both alike
                for language, questions in (("en", TEXT_EN), ("zh", TEXT_ZH)):
                    question = questions[round_ % len(questions)]
                    got = results.setdefault(language, {"client_ms": [], "dialogue_ms": [], "tts_first_ms": []})
                    with Kiosk(bridge.url) as kiosk:
                        kiosk.hello(language=language)
                        started = time.perf_counter()
                        kiosk.send({"type": "text", "text": question})
                        heard = None  # the first audio frame; a reply without audio (or with an error) is a failure
                        while True:
                            message = kiosk.recv()
                            if message is None and heard is None:
                                heard = (time.perf_counter() - started) * 1000
                            elif message is not None and message["type"] in ("metrics", "error"):
                                break
                        stages = message.get("stages", {})
                        log(f"{language} {question!r}: first audio {heard and round(heard)} ms, {stages}")
                        if heard is None or message["type"] == "error":
                            got.setdefault("failures", []).append({"question": question, "message": message})
                            continue
                        got["client_ms"].append(heard)
                        got["dialogue_ms"].append(stages["dialogue_ms"])
                        got["tts_first_ms"].append(stages.get("tts_first_ms", 0))
            out = {
                lang: {k: v if k == "failures" else stats(v) for k, v in got.items()} for lang, got in results.items()
            }
        finally:
            bridge.stop()
            servers.stop()
    out["ratio_p50"] = round(out["zh"]["client_ms"]["p50"] / out["en"]["client_ms"]["p50"], 2)
    out["ratio_mean"] = round(out["zh"]["client_ms"]["mean"] / out["en"]["client_ms"]["mean"], 2)
    out["target_ratio"] = 1.5
    return out


def markdown(data: dict) -> str:
    rec, det_en = data["recognition"], data["english_detection"]
    lines = [
        f"<!-- {SECTION}:begin -->",
        "## Mandarin speech (`make bench-voice-zh`, issue 15)",
        "",
        f"Run {data['environment']['date']} on {data['environment']['cpus']} cores, load average "
        f"{data['environment']['load_average_at_start']} at the start (machine shared with other work). "
        f"{data['questions']} service questions of the Chinese test split (typos left out), Whisper base, "
        "`language=zh`, greedy, short encoder window. CER = character error rate; English WER on the same model "
        "for comparison.",
        "",
        "| audio | recogniser prompt | CER / WER | KB names heard | ASR p50 (ms) |",
        "|---|---|---|---|---|",
    ]
    for voice, result in rec.items():
        for setting in ("style prompt", "with KB names"):
            r = result[setting]
            names = r["kb_names_heard"]
            lines.append(
                f"| {voice} (zh) | {setting} | {r['cer']:.1%} CER | {names['heard']}/{names['said']} | "
                f"{r['asr_ms']['p50']:.0f} |"
            )
    en = data["english_baseline"]
    lines.append(f"| {en['voice']} (en) | KB prompt | {en['wer']:.1%} WER | | {en['asr_ms']['p50']:.0f} |")
    lines += [
        "",
        f"Language detection (Whisper base; language following switches at ≥ {FOLLOW_MIN_PROBABILITY}):",
        "",
        "| audio | said | switches rightly | would switch wrongly | Whisper's top guesses |",
        "|---|---|---|---|---|",
    ]
    for voice, result in rec.items():
        d = result["detection"]
        lines.append(
            f"| {voice} | zh | {d['confident_right']:.0%} | {d['confident_wrong']:.0%} | {d['top_languages']} |"
        )
    for voice, d in det_en.items():
        lines.append(
            f"| {voice} | en | {d['confident_right']:.0%} (stays) | {d['confident_wrong']:.0%} | {d['top_languages']} |"
        )
    fs = data["first_speech"]
    lines += [
        "",
        "Text → first speech through the bridge (typed question to the first audio frame at the kiosk; "
        "Piper for English, espeak-ng `cmn` for Chinese"
        + (f"; from the full run of {fs['from_run']}" if "from_run" in fs else "")
        + "):",
        "",
        "| language | first speech p50 / p95 (ms) | dialogue p50 (ms) | TTS first sentence p50 (ms) |",
        "|---|---|---|---|",
    ]
    for language in ("en", "zh"):
        f = fs[language]
        lines.append(
            f"| {language} | {f['client_ms']['p50']:.0f} / {f['client_ms']['p95']:.0f} | "
            f"{f['dialogue_ms']['p50']:.0f} | {f['tts_first_ms']['p50']:.0f} |"
        )
    lines += [
        "",
        f"Chinese / English first speech: **{fs['ratio_p50']}×** at the median, {fs.get('ratio_mean', '?')}× on "
        f"average (target ≤ {fs['target_ratio']}×). Turns without audio: "
        f"{sum(len(fs[lang].get('failures', [])) for lang in ('en', 'zh'))}.",
        f"<!-- {SECTION}:end -->",
    ]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="make bench-voice-zh", description=__doc__.split("\n")[0])
    parser.add_argument("--limit", type=int, default=60, help="Mandarin questions (0 = all 216)")
    parser.add_argument("--english", type=int, default=30, help="English questions for detection and WER")
    parser.add_argument("--text-turns", type=int, default=10, help="typed turns per language through the bridge")
    parser.add_argument(
        "--skip-bridge",
        action="store_true",
        help="recognition only (no dialogue servers); keeps the bridge figures of the last full run in --out",
    )
    parser.add_argument("--out", type=Path, default=RESULTS)
    parser.add_argument("--no-docs", action="store_true")
    args = parser.parse_args(argv)
    questions = mandarin_questions(args.limit)
    log(f"{len(questions)} Mandarin questions")
    recognizers = {
        "style prompt": Recognizer("base", zh_names=False),
        "with KB names": Recognizer("base", zh_names=True),
    }
    env = machine_environment(("faster-whisper", "ctranslate2", "espeakng-loader", "piper-tts"))
    data: dict = {"questions": len(questions), "environment": env}
    data["recognition"] = recognition(questions, recognizers)
    env["load_average_after_recognition"] = [round(x, 2) for x in os.getloadavg()]
    data["prompts"] = {name: r.biasing("zh").initial_prompt for name, r in recognizers.items()}
    log("English detection and baseline")
    data["english_detection"] = english_detection(recognizers["style prompt"], args.english)
    data["english_baseline"] = english_baseline(recognizers["style prompt"], args.english)
    if not args.skip_bridge:
        log("text -> first speech through the bridge")
        data["first_speech"] = first_speech(args.text_turns)
    elif args.out.exists():  # recognition only: the bridge figures of the last full run stay, marked as such
        previous = json.loads(args.out.read_text(encoding="utf-8"))
        if "first_speech" in previous:
            data["first_speech"] = previous["first_speech"] | {"from_run": previous["environment"]["date"]}
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(data, indent=1, ensure_ascii=False), encoding="utf-8")
    if "first_speech" in data:
        section = markdown(data)
        if not args.no_docs:
            write_section(SECTION, section)
        print(section)
    return 0


if __name__ == "__main__":
    sys.exit(main())
