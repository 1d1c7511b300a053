"""Trained models: which exist, which is live, activating one through Rasa's HTTP API, rolling back.

Activation is `PUT /model` on the running Rasa server (token auth), so the guide switches models
without a restart; with several Rasa instances (LOBBY_RASA_URL lists them) on every one of them,
and the result names any instance that did not take the model. It is allowed only when the model's
evaluation passes the gate (no intent worse than the live model by more than the margin) unless an
admin overrides with a reason. Every activation records the model it replaced, which is what
one-step rollback goes back to. The `current` pointer in the model directory follows, so `make run`
starts with the active model.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from pathlib import Path

import httpx
from sqlalchemy import insert, select

from trainer.config import Settings
from trainer.evaluation import compare, live_report, load_report
from trainer.nludata import Refused
from trainer.state import State, activations


@dataclass
class ModelInfo:
    name: str
    path: Path
    size_mb: float
    created_at: float
    live: bool
    report: dict | None


def model_path(settings: Settings, name: str) -> Path:
    return settings.model_dir / f"{name.removesuffix('.tar.gz')}.tar.gz"


def _model_of(settings: Settings, url: str) -> str | None:
    try:
        r = httpx.get(f"{url}/status", params={"token": settings.rasa_token}, timeout=5)
        r.raise_for_status()
    except httpx.HTTPError:
        return None
    name = Path(r.json().get("model_file") or "").name
    return name.removesuffix(".tar.gz") or None


def live_models(settings: Settings) -> dict[str, str | None]:
    """Each Rasa instance's loaded model (None where the instance is unreachable)."""
    return {url: _model_of(settings, url) for url in settings.rasa_urls}


def live_model(settings: Settings) -> str | None:
    """The model the running Rasa server has loaded: the first reachable instance's (None when none answers)."""
    for url in settings.rasa_urls:
        name = _model_of(settings, url)
        if name is not None:
            return name
    return None


def list_models(settings: Settings, live: str | None) -> list[ModelInfo]:
    out = []
    for p in sorted(settings.model_dir.glob("*.tar.gz"), key=lambda p: p.stat().st_mtime, reverse=True):
        name = p.name.removesuffix(".tar.gz")
        st = p.stat()
        out.append(
            ModelInfo(name, p, round(st.st_size / 1e6, 1), st.st_mtime, name == live, load_report(settings, name))
        )
    return out


def history(state: State, limit: int = 50) -> list[dict]:
    with state.engine.connect() as conn:
        rows = conn.execute(select(activations).order_by(activations.c.id.desc()).limit(limit)).mappings().all()
    return [dict(r) for r in rows]


def gate_for(settings: Settings, name: str, live: str | None, say=print) -> dict:
    """The gate verdict for activating `name` now (against whatever is live at this moment)."""
    report = load_report(settings, name)
    if report is None:
        return {
            "passed": False,
            "reason": f"{name} has not been evaluated yet; run an evaluation first",
            "worse": [],
            "margin": settings.gate_margin,
        }
    if live is None or live == name:
        return {
            "passed": True,
            "reason": "no other live model to compare with",
            "worse": [],
            "margin": settings.gate_margin,
        }
    return comparison_for(settings, report, live, say)["gate"]


def comparison_for(settings: Settings, report: dict, live: str, say=print) -> dict:
    """A report compared with the model live now, per language (diffs and gates) and overall."""
    live_scores = live_report(settings, live, say, list(report["languages"]))
    return compare(report, live_scores, settings.gate_margin)


def _load_in_rasa(settings: Settings, url: str, path: Path) -> str | None:
    """Load `path` into one instance; the reason it did not, or None."""
    try:
        r = httpx.put(
            f"{url}/model",
            params={"token": settings.rasa_token},
            json={"model_file": str(path.resolve())},
            timeout=600,
        )
    except httpx.HTTPError as exc:
        return f"not reachable ({exc.__class__.__name__})"
    if r.status_code != 204:
        return f"refused: HTTP {r.status_code} {r.text[:300]}"
    return None


def _load_everywhere(settings: Settings, name: str, path: Path, say=print) -> dict[str, str]:
    """Load the model into every instance, one after the other (the others keep serving meanwhile).

    Returns {url: reason} for the instances that do not report the model afterwards. Raises when none does:
    then nothing changed anywhere that matters.
    """
    missed: dict[str, str] = {}
    for url in settings.rasa_urls:
        reason = _load_in_rasa(settings, url, path)
        now_live = _model_of(settings, url) if reason is None else None
        if reason is None and now_live != name:
            reason = f"reports {now_live} after loading {name}"
        if reason:
            missed[url] = reason
            say(f"Rasa at {url} did not take {name}: {reason}")
    if len(missed) == len(settings.rasa_urls):
        raise RuntimeError(f"No Rasa instance took {name}: " + "; ".join(f"{u}: {r}" for u, r in missed.items()))
    return missed


def activate(
    settings: Settings,
    state: State,
    name: str,
    user: str,
    override_reason: str | None = None,
    kind: str = "activate",
    say=print,
) -> dict:
    """Put a model live. Raises Refused when the gate fails and no override reason is given."""
    name = name.removesuffix(".tar.gz")
    path = model_path(settings, name)
    if not path.exists():
        raise Refused(f"There is no model {name} in {settings.model_dir}.")
    live = live_model(settings)
    if live is None:
        raise Refused(
            f"The Rasa server at {settings.rasa_url} is not reachable (or the token is wrong); nothing changed."
        )
    if live == name:
        raise Refused(f"{name} is already the live model.")
    gate = {"passed": True, "reason": "rollback to the previous live model"} if kind == "rollback" else None
    if gate is None:
        gate = gate_for(settings, name, live, say)
        override_reason = (override_reason or "").strip() or None
        if not gate["passed"] and not override_reason:
            raise Refused(f"Not activated: {gate['reason']}. An admin can override this with a reason.")
    say(f"loading {name} into the running Rasa server (about a minute)")
    missed = _load_everywhere(settings, name, path, say)
    (settings.model_dir / "current").write_text(name + "\n")
    with state.engine.begin() as conn:
        conn.execute(
            insert(activations).values(
                at=time.time(),
                user=user,
                model=name,
                previous=live,
                kind=kind,
                override_reason=override_reason if not gate["passed"] else None,
            )
        )
    state.log(
        user,
        kind,
        model=name,
        previous=live,
        gate=gate.get("reason"),
        override_reason=override_reason if not gate["passed"] else None,
    )
    removed = prune(settings, state)
    if removed:
        say("removed old models: " + ", ".join(removed))
    reached = len(settings.rasa_urls) - len(missed)
    say(f"{name} is live (was {live}) on {reached} of {len(settings.rasa_urls)} Rasa instance(s)")
    return {"model": name, "previous": live, "gate": gate, "not_reached": missed}


def rollback(settings: Settings, state: State, user: str, say=print) -> dict:
    """Go back to the model that was live before the last activation."""
    live = live_model(settings)
    for h in history(state):
        if h["model"] == live and h["previous"]:
            if not model_path(settings, h["previous"]).exists():
                raise Refused(f"The previous model {h['previous']} is no longer on disk.")
            return activate(settings, state, h["previous"], user, kind="rollback", say=say)
    raise Refused("Nothing to roll back to: the live model was not put live by the trainer.")


def prune(settings: Settings, state: State) -> list[str]:
    """Keep the newest `keep_models` models plus every model named in the recent activation history."""
    protected = set()
    for h in history(state, limit=10):
        protected |= {h["model"], h["previous"]}
    pointer = settings.model_dir / "current"
    if pointer.exists():
        protected.add(pointer.read_text().strip())
    files = sorted(settings.model_dir.glob("*.tar.gz"), key=lambda p: p.stat().st_mtime, reverse=True)
    removed = []
    for p in files[settings.keep_models :]:
        name = p.name.removesuffix(".tar.gz")
        if name not in protected:
            p.unlink()
            removed.append(name)
    return removed
