"""Evaluation reports: per-intent precision/recall/F1, a confusion-matrix plot, misclassified
examples, the difference from the live model, and the roll-out gate.

A prediction of `nlu_fallback` counts as a miss: for the citizen it means "not understood".
The live model is measured through the running Rasa server (`/model/parse`), the candidate by
loading its file in the Rasa environment (`trainer/rasa_eval.py`), both on the same held-back
test split, so the numbers compare like for like.
"""

from __future__ import annotations

import json
import subprocess
import tempfile
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import yaml

from trainer.config import REPO_ROOT, Settings
from trainer.nludata import _lines, plain

Progress = Callable[[str], None]


@dataclass(frozen=True)
class TestExample:
    text: str
    intent: str


def test_examples(settings: Settings) -> list[TestExample]:
    doc = yaml.safe_load(settings.test_split.read_text(encoding="utf-8")) or {}
    return [
        TestExample(plain(raw), b["intent"])
        for b in doc.get("nlu") or []
        if "intent" in b
        for raw in _lines(b.get("examples"))
    ]


def predict_with_model(settings: Settings, model: Path, examples: list[TestExample], say: Progress) -> list[dict]:
    """Load a model file in the Rasa environment and parse every example."""
    with tempfile.TemporaryDirectory() as tmp:
        src, out = Path(tmp) / "examples.json", Path(tmp) / "predictions.json"
        src.write_text(json.dumps([{"text": e.text} for e in examples]))
        env = rasa_env(settings)
        proc = subprocess.Popen(
            [str(settings.rasa_python), str(REPO_ROOT / "trainer" / "rasa_eval.py"), str(model), str(src), str(out)],
            cwd=settings.project,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        assert proc.stdout is not None
        for line in proc.stdout:
            if line.startswith(("parsed ", "loading ", "Traceback", "Error")):  # not Rasa's per-message logs
                say(line.rstrip())
        if proc.wait() != 0:
            raise RuntimeError(f"evaluating {model.name} failed (exit {proc.returncode}); see the log above")
        return json.loads(out.read_text())


def predict_with_server(settings: Settings, examples: list[TestExample], say: Progress) -> list[dict]:
    out = []
    with httpx.Client(timeout=30) as client:
        for i, ex in enumerate(examples, 1):
            r = client.post(
                f"{settings.rasa_url}/model/parse", params={"token": settings.rasa_token}, json={"text": ex.text}
            )
            r.raise_for_status()
            parsed = r.json()
            out.append(
                {"text": ex.text, "intent": parsed["intent"]["name"], "confidence": parsed["intent"].get("confidence")}
            )
            if i % 50 == 0 or i == len(examples):
                say(f"live model: parsed {i}/{len(examples)}")
    return out


def rasa_env(settings: Settings) -> dict[str, str]:
    import os

    env = dict(os.environ)
    env.update(
        {
            "PYTHONPATH": str(REPO_ROOT),
            "SQLALCHEMY_SILENCE_UBER_WARNING": "1",
            "PYTHONUNBUFFERED": "1",  # the job log and progress bar follow the run live
            "RASA_TELEMETRY_ENABLED": "false",
            "TF_CPP_MIN_LOG_LEVEL": "2",
            "LOG_LEVEL": "INFO",  # not WARNING: Rasa hides its epoch progress bars above INFO
            "LOG_LEVEL_LIBRARIES": "ERROR",
            "HOME": str(settings.state_dir / "home"),
            "KERAS_HOME": str(settings.state_dir / "keras"),
            "MPLCONFIGDIR": str(settings.state_dir / "matplotlib"),
        }
    )
    if settings.rasa_cache_dir:
        env["RASA_CACHE_DIRECTORY"] = str(settings.rasa_cache_dir)
    return env


def score(examples: list[TestExample], predictions: list[dict]) -> dict[str, Any]:
    """Per-intent precision/recall/F1, confusion counts and the misclassified examples."""
    counts: dict[str, Counter] = {}
    confusion: Counter = Counter()
    errors = []
    for ex, p in zip(examples, predictions, strict=True):
        got = p["intent"]
        confusion[(ex.intent, got)] += 1
        for name in (ex.intent, got):
            counts.setdefault(name, Counter())
        if got == ex.intent:
            counts[got]["tp"] += 1
        else:
            counts[ex.intent]["fn"] += 1
            counts[got]["fp"] += 1
            errors.append(
                {
                    "text": ex.text,
                    "expected": ex.intent,
                    "predicted": got,
                    "confidence": round(p.get("confidence") or 0.0, 3),
                }
            )
    per_intent = {}
    expected = {e.intent for e in examples}
    for name, c in sorted(counts.items()):
        if name not in expected:
            continue
        p = c["tp"] / (c["tp"] + c["fp"]) if c["tp"] + c["fp"] else 0.0
        r = c["tp"] / (c["tp"] + c["fn"]) if c["tp"] + c["fn"] else 0.0
        f1 = 2 * p * r / (p + r) if p + r else 0.0
        per_intent[name] = {
            "precision": round(p, 4),
            "recall": round(r, 4),
            "f1": round(f1, 4),
            "support": c["tp"] + c["fn"],
        }
    labels = sorted(expected | {g for (_, g) in confusion})
    matrix = [[confusion[(a, b)] for b in labels] for a in labels]
    correct = sum(confusion[(a, a)] for a in labels)
    return {
        "examples": len(examples),
        "accuracy": round(correct / len(examples), 4) if examples else 0.0,
        "macro_f1": round(sum(v["f1"] for v in per_intent.values()) / len(per_intent), 4) if per_intent else 0.0,
        "per_intent": per_intent,
        "confusion": {"labels": labels, "matrix": matrix},
        "errors": errors,
    }


def plot_confusion(report: dict, path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    import numpy as np

    labels = report["confusion"]["labels"]
    m = np.array(report["confusion"]["matrix"], dtype=float)
    rows = m.sum(axis=1, keepdims=True).clip(min=1)
    size = max(6.0, 0.34 * len(labels) + 2)
    fig, ax = plt.subplots(figsize=(size + 1.5, size))
    im = ax.imshow(m / rows, cmap="Blues", vmin=0, vmax=1)
    ax.set_xticks(range(len(labels)), labels, rotation=90, fontsize=7)
    ax.set_yticks(range(len(labels)), labels, fontsize=7)
    ax.set_xlabel("predicted intent")
    ax.set_ylabel("true intent")
    ax.set_title(f"Confusion matrix — {report['model']} (row-normalised)")
    for i, j in zip(*np.nonzero(m), strict=True):
        ax.text(
            j,
            i,
            int(m[i, j]),
            ha="center",
            va="center",
            fontsize=6,
            color="white" if m[i, j] / rows[i, 0] > 0.5 else "black",
        )
    fig.colorbar(im, ax=ax, fraction=0.04)
    fig.tight_layout()
    fig.savefig(path, dpi=90)
    plt.close(fig)


def compare(candidate: dict, live: dict | None, margin: float) -> dict[str, Any]:
    """Per-intent F1 change against the live model and the gate verdict."""
    if live is None:
        return {
            "live_model": None,
            "diff": [],
            "gate": {
                "passed": False,
                "margin": margin,
                "worse": [],
                "reason": "the live model could not be evaluated, so the change cannot be checked",
            },
        }
    diff = []
    for name in sorted(set(candidate["per_intent"]) | set(live["per_intent"])):
        new = candidate["per_intent"].get(name, {}).get("f1", 0.0)
        old = live["per_intent"].get(name, {}).get("f1", 0.0)
        diff.append({"intent": name, "live_f1": old, "new_f1": new, "delta": round(new - old, 4)})
    worse = [d for d in diff if d["delta"] < -margin]
    reason = (
        "no intent is worse than the live model by more than the margin"
        if not worse
        else f"{len(worse)} intent(s) worse than the live model by more than {margin}: "
        + ", ".join(f"{d['intent']} ({d['live_f1']:.2f} → {d['new_f1']:.2f})" for d in worse)
    )
    return {
        "live_model": live["model"],
        "diff": diff,
        "gate": {"passed": not worse, "margin": margin, "worse": worse, "reason": reason},
    }


def report_path(settings: Settings, model_name: str) -> Path:
    return settings.state_dir / "reports" / f"{model_name}.json"


def load_report(settings: Settings, model_name: str) -> dict | None:
    path = report_path(settings, model_name)
    return json.loads(path.read_text()) if path.exists() else None


def save_report(settings: Settings, report: dict) -> None:
    settings.ensure_dirs()
    path = report_path(settings, report["model"])
    path.write_text(json.dumps(report, indent=1))
    plot_confusion(report, path.with_suffix(".png"))


def live_report(settings: Settings, live_model: str | None, say: Progress) -> dict | None:
    """The live model's scores: from its saved report, else measured through the running server."""
    if not live_model:
        return None
    saved = load_report(settings, live_model)
    if saved is not None:
        return saved
    examples = test_examples(settings)
    try:
        preds = predict_with_server(settings, examples, say)
    except httpx.HTTPError as exc:
        say(f"could not reach the running Rasa server at {settings.rasa_url}: {exc}")
        return None
    rep = {"model": live_model, "created_at": time.time(), **score(examples, preds), "live_model": live_model,
           "diff": [], "gate": {"passed": True, "margin": settings.gate_margin, "worse": [],
                                "reason": "this was the live model when it was measured"}}  # fmt: skip
    save_report(settings, rep)
    return rep


def evaluate_model(settings: Settings, model: Path, live_model: str | None, say: Progress) -> dict:
    examples = test_examples(settings)
    say(f"evaluating {model.name} on {len(examples)} held-back test phrases")
    preds = predict_with_model(settings, model, examples, say)
    name = model.name.removesuffix(".tar.gz")
    rep = {"model": name, "created_at": time.time(), **score(examples, preds)}
    if live_model and live_model != name:
        live = live_report(settings, live_model, say)
        rep.update(compare(rep, live, settings.gate_margin))
    else:
        rep.update(
            {
                "live_model": live_model,
                "diff": [],
                "gate": {
                    "passed": True,
                    "margin": settings.gate_margin,
                    "worse": [],
                    "reason": "this is the live model",
                },
            }
        )
    save_report(settings, rep)
    say(f"accuracy {rep['accuracy']:.3f}, macro F1 {rep['macro_f1']:.3f}; gate: {rep['gate']['reason']}")
    return rep
