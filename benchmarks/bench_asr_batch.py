"""Does batching concurrent final decodes help on this CPU? (issue 13, "more kiosks per core")

When several kiosks finish a question at once, the bridge could decode their
utterances as one batch through the CTranslate2 Whisper model instead of one
after another. This measures exactly that core step for tiny.en (int8, the
bridge's two threads): the encoder and greedy decoder on B utterances of the
project's test questions, padded to the bridge's short encoder window, as one
batch vs B single calls, interleaved and repeated so both see the same load.
Word-timestamp alignment and the temperature fallback (the bridge runs them
too) are left out: they would be batched the same way, or not at all.

Not a test; writes benchmarks/results/asr_batch.json. `--help` for options.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from pathlib import Path

import numpy as np
import soxr

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from benchmarks.bench_bridge import QUESTIONS, environment  # noqa: E402
from voice.asr import _fit_frames, resolve_model_dir, shared_model  # noqa: E402
from voice.tts.piper_engine import PiperEngine  # noqa: E402

RESULTS = REPO / "benchmarks" / "results" / "asr_batch.json"


def utterances(n: int) -> list[np.ndarray]:
    tts = PiperEngine(variation=0.0)
    out = []
    for text in QUESTIONS[:n]:
        speech = tts.synthesize(text)
        out.append(soxr.resample(speech.audio.astype(np.float32) / 32768, speech.sample_rate, 16000))
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="benchmarks/bench_asr_batch.py", description=__doc__.split("\n")[0])
    parser.add_argument("--model", default="tiny.en")
    parser.add_argument("--batch", type=int, nargs="+", default=[2, 4, 8])
    parser.add_argument("--repeats", type=int, default=10)
    parser.add_argument("--out", type=Path, default=RESULTS)
    args = parser.parse_args(argv)

    import ctranslate2
    from faster_whisper.tokenizer import Tokenizer

    model = shared_model(resolve_model_dir(args.model))
    tokenizer = Tokenizer(model.hf_tokenizer, model.model.is_multilingual, task="transcribe", language="en")
    prompt = model.get_prompt(tokenizer, previous_tokens=[], without_timestamps=True)
    audio = utterances(max(args.batch))
    frames = max(_fit_frames(len(a)) for a in audio)
    feats = []
    for a in audio:
        f = model.feature_extractor(a)[:, :frames]
        feats.append(np.pad(f, ((0, 0), (0, frames - f.shape[1]))))

    def run(batch: list[np.ndarray]) -> list[str]:
        features = ctranslate2.StorageView.from_array(np.ascontiguousarray(np.stack(batch), dtype=np.float32))
        encoded = model.model.encode(features, to_cpu=False)
        results = model.model.generate(encoded, [list(prompt)] * len(batch), beam_size=1, max_length=len(prompt) + 60)
        return [tokenizer.decode([t for t in r.sequences_ids[0] if t < tokenizer.eot]) for r in results]

    run(feats[:1])  # warm-up
    report = {}
    for b in args.batch:
        seq, bat = [], []
        for _ in range(args.repeats):
            t0 = time.perf_counter()
            one_by_one = [run([f])[0] for f in feats[:b]]
            seq.append((time.perf_counter() - t0) * 1000)
            t0 = time.perf_counter()
            together = run(feats[:b])
            bat.append((time.perf_counter() - t0) * 1000)
        report[str(b)] = {
            "sequential_ms_median": round(statistics.median(seq)),
            "batched_ms_median": round(statistics.median(bat)),
            "speed_up": round(statistics.median(seq) / statistics.median(bat), 2),
            "same_text": one_by_one == together,
        }
        print(b, report[str(b)], flush=True)
    data = {
        "environment": environment(),
        "model": args.model,
        "encoder_frames": frames,
        "repeats": args.repeats,
        "batches": report,
    }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(data, indent=1), encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
