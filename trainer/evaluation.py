"""Evaluation reports: per-intent precision/recall/F1, a confusion-matrix plot, misclassified
examples, service answers (the confidently-wrong rate), the difference from the live model, and the
roll-out gate.

Scored by the shared `scoring` package, like the tests and `make bench-dialogue`: a prediction of
`nlu_fallback` counts as a miss, for the citizen it means "not understood"; a service question answered
about another service without asking is "confidently wrong".
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

from scoring import judge_service, load_citizen_split, load_rasa_split, outcome_of, score_intents
from scoring.outcome import Verdict, cards_of
from scoring.run import evaluate_services
from scoring.splits import Question
from trainer.config import REPO_ROOT, Settings

Progress = Callable[[str], None]


@dataclass(frozen=True)
class TestExample:
    text: str
    intent: str
    service: str | None = None


def test_examples(settings: Settings) -> list[TestExample]:
    """Both held-back splits: the citizen split (service and hall questions) and the Rasa-format one."""
    questions: list[Question] = []
    if settings.citizen_split and settings.citizen_split.exists():
        questions += load_citizen_split(settings.citizen_split)[0]
    if settings.test_split.exists():
        questions += [q for q in load_rasa_split(settings.test_split) if not q.service]
    return [TestExample(q.text, q.intent, q.service) for q in questions]


def predict_with_model(settings: Settings, model: Path, examples: list[TestExample], say: Progress) -> list[dict]:
    """Load a model file in the Rasa environment and parse every example."""
    with tempfile.TemporaryDirectory() as tmp:
        src, out = Path(tmp) / "examples.json", Path(tmp) / "predictions.json"
        src.write_text(json.dumps([{"text": e.text, "converse": bool(e.service)} for e in examples]))
        env = rasa_env(settings)
        script = REPO_ROOT / "trainer" / "rasa_eval.py"
        command = [str(settings.rasa_python), str(script), str(model), str(src), str(out)]
        if settings.action_url:  # service questions are answered through the actions, as citizens get them
            command.append(settings.action_url)
        proc = subprocess.Popen(
            command,
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
    """Per-intent precision/recall/F1, confusion counts, misclassified examples and service verdicts."""
    report = score_intents([(ex.text, ex.intent, p["intent"]) for ex, p in zip(examples, predictions, strict=True)])
    confusion: Counter = Counter((ex.intent, p["intent"]) for ex, p in zip(examples, predictions, strict=True))
    errors = [
        {"text": ex.text, "expected": ex.intent, "predicted": p["intent"],
         "confidence": round(p.get("confidence") or 0.0, 3)}
        for ex, p in zip(examples, predictions, strict=True)
        if p["intent"] != ex.intent
    ]  # fmt: skip
    labels = sorted({e.intent for e in examples} | {g for (_, g) in confusion})
    return {
        "examples": report.total,
        "accuracy": round(report.accuracy, 4),
        "macro_f1": round(report.macro_f1(), 4),
        "per_intent": report.per_intent_table(),
        "confusion": {"labels": labels, "matrix": [[confusion[(a, b)] for b in labels] for a in labels]},
        "errors": errors,
        "services": score_services(examples, predictions),
    }


def score_services(examples: list[TestExample], predictions: list[dict]) -> dict[str, Any] | None:
    """Service questions judged on the card the citizen got; None when they were not run through the actions."""
    verdicts: Counter = Counter()
    wrong = []
    for ex, p in zip(examples, predictions, strict=True):
        if not ex.service or "messages" not in p:
            continue
        outcome = outcome_of(cards_of(p["messages"]))
        verdict = judge_service(ex.service, outcome)
        verdicts[verdict.value] += 1
        if verdict is Verdict.WRONG:
            wrong.append({"text": ex.text, "expected": ex.service, "got": outcome.service})
    total = sum(verdicts.values())
    if not total:
        return None
    return {
        "questions": total,
        "service_accuracy": round(verdicts[Verdict.RIGHT.value] / total, 4),
        "confidently_wrong_rate": round(verdicts[Verdict.WRONG.value] / total, 4),
        "choice_rate": round(verdicts[Verdict.CHOICE.value] / total, 4),
        "confidently_wrong": wrong,
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
    rep_scores = score(examples, preds)
    try:
        questions = [Question(e.text, e.intent, e.service) for e in examples if e.service]
        live_services = evaluate_services(settings.rasa_url, settings.rasa_token, questions)
        rep_scores["services"] = {
            **{k: v for k, v in live_services.summary().items() if k != "per_style"},
            "confidently_wrong": [m for m in live_services.misses if m["verdict"] == "wrong"],
        }
    except httpx.HTTPError as exc:
        say(f"service answers of the live model not measured: {exc}")
    rep = {"model": live_model, "created_at": time.time(), **rep_scores, "live_model": live_model,
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
    services = rep.get("services")
    wrong = f", confidently wrong {services['confidently_wrong_rate']:.3f}" if services else ""
    say(f"accuracy {rep['accuracy']:.3f}, macro F1 {rep['macro_f1']:.3f}{wrong}; gate: {rep['gate']['reason']}")
    return rep
