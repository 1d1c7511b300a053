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
from trainer.language import BASE_LANGUAGE, CHINESE, language_name

Progress = Callable[[str], None]


@dataclass(frozen=True)
class TestExample:
    text: str
    intent: str
    service: str | None = None
    language: str = BASE_LANGUAGE


def evaluated_languages(settings: Settings) -> list[str]:
    """English, plus each other language the project has training data for (`data/nlu/<code>.yml`) and a
    held-back split of: a model is not judged in a language it was never taught."""
    out = [BASE_LANGUAGE]
    if settings.zh_split and settings.zh_split.exists() and (settings.nlu_dir / f"{CHINESE}.yml").exists():
        out.append(CHINESE)
    return out


def test_examples(settings: Settings, languages: list[str] | None = None) -> list[TestExample]:
    """The held-back phrases of each language, tagged with it.

    English: the citizen split (service and hall questions) and the Rasa-format split's other intents.
    Chinese: the Chinese split (tests/nlu/zh_split.yml), written separately and never trained on.
    """
    languages = evaluated_languages(settings) if languages is None else languages
    out: list[TestExample] = []
    if BASE_LANGUAGE in languages:
        questions: list[Question] = []
        if settings.citizen_split and settings.citizen_split.exists():
            questions += load_citizen_split(settings.citizen_split)[0]
        if settings.test_split.exists():
            questions += [q for q in load_rasa_split(settings.test_split) if not q.service]
        out += [TestExample(q.text, q.intent, q.service, BASE_LANGUAGE) for q in questions]
    if CHINESE in languages and settings.zh_split and settings.zh_split.exists():
        out += [TestExample(q.text, q.intent, q.service, CHINESE) for q in load_citizen_split(settings.zh_split)[0]]
    return out


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


def plot_confusion(scores: dict, title: str, path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    import numpy as np

    labels = scores["confusion"]["labels"]
    m = np.array(scores["confusion"]["matrix"], dtype=float)
    rows = m.sum(axis=1, keepdims=True).clip(min=1)
    size = max(6.0, 0.34 * len(labels) + 2)
    fig, ax = plt.subplots(figsize=(size + 1.5, size))
    im = ax.imshow(m / rows, cmap="Blues", vmin=0, vmax=1)
    ax.set_xticks(range(len(labels)), labels, rotation=90, fontsize=7)
    ax.set_yticks(range(len(labels)), labels, fontsize=7)
    ax.set_xlabel("predicted intent")
    ax.set_ylabel("true intent")
    ax.set_title(f"Confusion matrix — {title} (row-normalised)")
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


def build_report(model: str, examples: list[TestExample], predictions: list[dict]) -> dict[str, Any]:
    """A model's scores, one section per language: each language's split is scored on its own, so a model
    that got better in English cannot hide that it got worse in Chinese (and vice versa)."""
    languages: dict[str, Any] = {}
    for lang in dict.fromkeys(ex.language for ex in examples):  # in split order: English first
        pairs = [(ex, p) for ex, p in zip(examples, predictions, strict=True) if ex.language == lang]
        scores = score([ex for ex, _ in pairs], [p for _, p in pairs])
        languages[lang] = {"name": language_name(lang), **scores}
    return {"model": model, "created_at": time.time(), "languages": languages}


def _gate(passed_reason: str, worse: list[dict], margin: float) -> dict[str, Any]:
    reason = (
        passed_reason
        if not worse
        else f"{len(worse)} intent(s) worse than the live model by more than {margin}: "
        + ", ".join(f"{d['intent']} in {language_name(d['language'])} ({d['live_f1']:.2f} → {d['new_f1']:.2f})"
                    for d in worse)
    )  # fmt: skip
    return {"passed": not worse, "margin": margin, "worse": worse, "reason": reason}


def tolerance(margin: float, support: int) -> float:
    """The largest F1 drop let through for an intent with `support` held-back phrases in a language.

    The margin, or what one phrase flipping costs when that is more: 1/(2n-1), 0.067 with the 8 phrases the
    Chinese split has for many intents (0.037 with 14). Training noise flips a phrase or so between two
    trainings; a small split must not block on it, while two flipped phrases still block.
    """
    return max(margin, 1 / (2 * support - 1) + 0.001) if support > 0 else margin


def compare(candidate: dict, live: dict | None, margin: float) -> dict[str, Any]:
    """Per language, each intent's F1 change against the live model on that language's split, and the gate.

    The gate is applied per language and passes only when it passes in every language the candidate was
    evaluated in; a language the live model could not be measured in fails it (nothing to compare with).
    """
    langs = list(candidate["languages"])
    if live is None:
        reason = "the live model could not be evaluated, so the change cannot be checked"
        per = {lang: {"diff": [], "gate": {"passed": False, "margin": margin, "worse": [], "reason": reason}}
               for lang in langs}  # fmt: skip
        return {"live_model": None, "languages": per,
                "gate": {"passed": False, "margin": margin, "worse": [], "reason": reason}}  # fmt: skip
    per: dict[str, Any] = {}
    all_worse: list[dict] = []
    missing: list[str] = []
    for lang in langs:
        new_scores, old_scores = candidate["languages"][lang], (live.get("languages") or {}).get(lang)
        if old_scores is None:
            reason = f"the live model was not measured in {language_name(lang)}, so the change cannot be checked"
            per[lang] = {"diff": [], "gate": {"passed": False, "margin": margin, "worse": [], "reason": reason}}
            missing.append(language_name(lang))
            continue
        diff = []
        for name in sorted(set(new_scores["per_intent"]) | set(old_scores["per_intent"])):
            new_row, old_row = new_scores["per_intent"].get(name, {}), old_scores["per_intent"].get(name, {})
            new, old = new_row.get("f1", 0.0), old_row.get("f1", 0.0)
            allowed = tolerance(margin, new_row.get("support") or old_row.get("support") or 0)
            diff.append({"intent": name, "language": lang, "live_f1": old, "new_f1": new,
                         "delta": round(new - old, 4), "allowed": round(allowed, 4)})  # fmt: skip
        worse = [d for d in diff if d["delta"] < -d["allowed"]]
        all_worse += worse
        ok = f"no intent is worse in {language_name(lang)} than the live model by more than the margin"
        per[lang] = {"diff": diff, "gate": _gate(ok, worse, margin)}
    names = " or ".join(language_name(lang) for lang in langs)
    gate = _gate(f"no intent is worse than the live model by more than the margin ({names})", all_worse, margin)
    if missing:
        note = f"the live model was not measured in {', '.join(missing)}, so the change cannot be checked"
        gate = {**gate, "passed": False, "reason": note if gate["passed"] else f"{gate['reason']}; {note}"}
    return {"live_model": live["model"], "languages": per, "gate": gate}


def with_comparison(report: dict, comparison: dict) -> dict:
    """The report with each language's diff and gate, and the overall gate, filled in."""
    for lang, part in comparison["languages"].items():
        report["languages"][lang].update(part)
    report["live_model"] = comparison["live_model"]
    report["gate"] = comparison["gate"]
    return report


def as_live(report: dict, live_model: str | None, margin: float, reason: str) -> dict:
    """A report of the model that is live: nothing to compare with, its gate passes."""
    gate = {"passed": True, "margin": margin, "worse": [], "reason": reason}
    return with_comparison(
        report,
        {"live_model": live_model, "gate": gate,
         "languages": {lang: {"diff": [], "gate": gate} for lang in report["languages"]}},
    )  # fmt: skip


def report_path(settings: Settings, model_name: str) -> Path:
    return settings.state_dir / "reports" / f"{model_name}.json"


def confusion_path(settings: Settings, model_name: str, language: str) -> Path:
    """The heat map of one language; reports made before per-language scoring have one, for English."""
    path = settings.state_dir / "reports" / f"{model_name}.{language}.png"
    old = report_path(settings, model_name).with_suffix(".png")
    return old if language == BASE_LANGUAGE and not path.exists() and old.exists() else path


_SCORE_KEYS = ("examples", "accuracy", "macro_f1", "per_intent", "confusion", "errors", "services", "diff", "gate")


def upgrade(report: dict) -> dict:
    """A report saved before per-language scoring (English only, scores at the top) in today's shape."""
    if "languages" in report:
        return report
    english = {"name": language_name(BASE_LANGUAGE), **{k: report.pop(k) for k in _SCORE_KEYS if k in report}}
    report["languages"] = {BASE_LANGUAGE: english}
    report["gate"] = english.get("gate") or {"passed": False, "margin": None, "worse": [], "reason": "no gate"}
    return report


def load_report(settings: Settings, model_name: str) -> dict | None:
    path = report_path(settings, model_name)
    return upgrade(json.loads(path.read_text())) if path.exists() else None


def save_report(settings: Settings, report: dict) -> None:
    settings.ensure_dirs()
    report_path(settings, report["model"]).write_text(json.dumps(report, indent=1, ensure_ascii=False))
    for lang, scores in report["languages"].items():
        path = settings.state_dir / "reports" / f"{report['model']}.{lang}.png"
        plot_confusion(scores, f"{report['model']}, {language_name(lang)}", path)


def summary(report: dict) -> dict[str, Any]:
    """What a job records and the model list shows: macro F1 per language and the gate."""
    return {
        "model": report["model"],
        "macro_f1": {lang: s["macro_f1"] for lang, s in report["languages"].items()},
        "gate": report["gate"]["passed"],
    }


def _measure_live(settings: Settings, examples: list[TestExample], say: Progress) -> dict[str, Any] | None:
    """The running server's scores on these phrases, one section per language (None if it is unreachable)."""
    try:
        preds = predict_with_server(settings, examples, say)
    except httpx.HTTPError as exc:
        say(f"could not reach the running Rasa server at {settings.rasa_url}: {exc}")
        return None
    measured = build_report("", examples, preds)["languages"]
    for lang, scores in measured.items():
        questions = [Question(e.text, e.intent, e.service) for e in examples if e.service and e.language == lang]
        try:
            live_services = evaluate_services(settings.rasa_url, settings.rasa_token, questions)
        except httpx.HTTPError as exc:
            say(f"service answers of the live model not measured in {language_name(lang)}: {exc}")
            continue
        if live_services.verdicts:
            scores["services"] = {
                **{k: v for k, v in live_services.summary().items() if k != "per_style"},
                "confidently_wrong": [m for m in live_services.misses if m["verdict"] == "wrong"],
            }
    return measured


def live_report(
    settings: Settings, live_model: str | None, say: Progress, languages: list[str] | None = None
) -> dict | None:
    """The live model's scores: from its saved report, else measured through the running server.

    A language the saved report lacks (it was made before that language had data) is measured and added.
    """
    if not live_model:
        return None
    languages = evaluated_languages(settings) if languages is None else languages
    saved = load_report(settings, live_model)
    missing = [lang for lang in languages if saved is None or lang not in saved["languages"]]
    if not missing:
        return saved
    measured = _measure_live(settings, test_examples(settings, missing), say)
    if measured is None:
        return saved
    reason = "this was the live model when it was measured"
    if saved is None:
        rep = {"model": live_model, "created_at": time.time(), "languages": measured}
        rep = as_live(rep, live_model, settings.gate_margin, reason)
    else:  # keep what the saved report says about its other languages (its diff with an older model)
        rep = saved
        gate = {"passed": True, "margin": settings.gate_margin, "worse": [], "reason": reason}
        rep["languages"].update({lang: {**scores, "diff": [], "gate": gate} for lang, scores in measured.items()})
    save_report(settings, rep)
    return rep


def evaluate_model(settings: Settings, model: Path, live_model: str | None, say: Progress) -> dict:
    examples = test_examples(settings)
    counts = ", ".join(
        f"{sum(e.language == lang for e in examples)} {language_name(lang)}" for lang in evaluated_languages(settings)
    )
    say(f"evaluating {model.name} on the held-back test phrases ({counts})")
    preds = predict_with_model(settings, model, examples, say)
    name = model.name.removesuffix(".tar.gz")
    rep = build_report(name, examples, preds)
    if live_model and live_model != name:
        live = live_report(settings, live_model, say, list(rep["languages"]))
        rep = with_comparison(rep, compare(rep, live, settings.gate_margin))
    else:
        rep = as_live(rep, live_model, settings.gate_margin, "this is the live model")
    save_report(settings, rep)
    for lang, scores in rep["languages"].items():
        services = scores.get("services")
        wrong = f", confidently wrong {services['confidently_wrong_rate']:.3f}" if services else ""
        say(f"{language_name(lang)}: accuracy {scores['accuracy']:.3f}, macro F1 {scores['macro_f1']:.3f}{wrong}")
    say(f"gate: {rep['gate']['reason']}")
    return rep
