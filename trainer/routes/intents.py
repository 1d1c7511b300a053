"""Intents: their sizes, last F1 and look-alike pairs, one intent's examples, and curating them."""

from __future__ import annotations

import json

from fastapi import APIRouter, Depends, Request

from trainer import annotate as ops
from trainer import models
from trainer.curation import data_languages, intent_summaries, similar_pairs
from trainer.evaluation import load_report, upgrade
from trainer.nludata import Refused, domain_intents, load_examples
from trainer.routes.deps import Trainer, User, flash, missing, page, redirect, require_role, signed_in_form, trainer_of

router = APIRouter()


def _last_f1(app: Trainer) -> tuple[dict[str, dict[str, float]], str | None]:
    """Per-language, per-intent F1 of the live model's report, else of the newest report there is."""
    settings = app.settings
    live = models.live_model(settings)
    rep = load_report(settings, live) if live else None
    if rep is None:
        reports = sorted((settings.state_dir / "reports").glob("*.json"), key=lambda p: p.stat().st_mtime)
        rep = upgrade(json.loads(reports[-1].read_text())) if reports else None
    if rep is None:
        return {}, None
    scores = {lang: {k: v["f1"] for k, v in s["per_intent"].items()} for lang, s in rep["languages"].items()}
    return scores, rep["model"]


@router.get("/intents")
async def intents(request: Request, user: User = Depends(require_role("review")), app: Trainer = Depends(trainer_of)):
    f1, f1_model = _last_f1(app)
    summaries = intent_summaries(app.settings, f1)
    pairs = similar_pairs(load_examples(app.settings), app.settings.similarity_threshold)
    return page(
        request,
        "intents.html",
        user,
        intents=summaries,
        languages=data_languages(app.settings),
        pairs=pairs,
        f1_model=f1_model,
        min_examples=app.settings.min_examples,
    )


@router.get("/intents/{name}")
async def intent(
    request: Request, name: str, user: User = Depends(require_role("review")), app: Trainer = Depends(trainer_of)
):
    settings = app.settings
    examples = [e for e in load_examples(settings) if e.intent == name]
    if name not in domain_intents(settings):
        return missing(request, user, f"No intent {name}.")
    pairs = [
        p
        for p in similar_pairs(load_examples(settings), settings.similarity_threshold)
        if name in (p.a.intent, p.b.intent)
    ]
    return page(
        request,
        "intent.html",
        user,
        name=name,
        examples=examples,
        languages=data_languages(settings),
        intents=domain_intents(settings),
        pairs=pairs,
        min_examples=settings.min_examples,
    )


@router.post("/intents/{name}/{op}")
async def curate(
    request: Request,
    name: str,
    op: str,
    form: dict = Depends(signed_in_form),
    user: User = Depends(require_role("curate")),
    app: Trainer = Depends(trainer_of),
):
    settings, state = app.settings, app.state
    index = int(form.get("index") or 0)
    expected = form.get("expected")
    file = str(form.get("file") or "") or None  # which NLU file's block the index is in
    try:
        if op == "add":
            out = ops.add(settings, state, user[0], name, str(form.get("text", "")))
        elif op == "edit":
            out = ops.edit(settings, state, user[0], name, index, str(form.get("text", "")), expected, file)
        elif op == "move":
            out = ops.move(settings, state, user[0], name, index, str(form.get("to", "")), expected, file)
        elif op == "delete":
            out = ops.delete(settings, state, user[0], name, index, expected, file)
        else:
            return missing(request, user, f"No operation {op}.")
        flash(request, out.message, "ok" if out.added else "info")
    except Refused as exc:
        flash(request, f"Not changed: {exc}", "error")
    return redirect(f"/intents/{name}")
