"""The inbox of real conversations, one conversation's turns, its export, review marks and annotation."""

from __future__ import annotations

import datetime as dt

from fastapi import APIRouter, Depends, Request
from fastapi.responses import JSONResponse
from starlette.concurrency import run_in_threadpool

from trainer import annotate as ops
from trainer import auth, tracker
from trainer.curation import nearest
from trainer.language import LANGUAGE_NAMES, parse_language
from trainer.nludata import Refused, domain_intents, load_examples, service_ids
from trainer.routes.deps import Trainer, User, flash, missing, page, redirect, require_role, signed_in_form, trainer_of

router = APIRouter()


@router.get("/inbox")
async def inbox(request: Request, user: User = Depends(require_role("review")), app: Trainer = Depends(trainer_of)):
    q = request.query_params
    f = tracker.InboxFilter(
        date_from=_date(q.get("from")),
        date_to=_date(q.get("to")),
        channel=q.get("channel") or None,
        kiosk_id=q.get("kiosk") or None,
        intent=q.get("intent") or None,
        below=_float(q.get("below")),
        fallback=_bool(q.get("fallback")),
        handoff=_bool(q.get("handoff")),
        reviewed=_bool(q.get("reviewed")),
        language=_language(q.get("language")),
        page=int(q.get("page") or 1),
    )
    await run_in_threadpool(tracker.sync, app.state, app.tracker)  # blocking I/O off the event loop
    result = await run_in_threadpool(tracker.inbox, app.state, f)
    query = {k: v for k, v in q.items() if v and k != "page"}
    return page(
        request,
        "inbox.html",
        user,
        inbox=result,
        q=query,
        channels=tracker.CHANNELS,
        language_names=LANGUAGE_NAMES,
        pages=(result.total + f.per_page - 1) // f.per_page,
    )


@router.get("/conversations/{sender_id}")
async def conversation(
    request: Request,
    sender_id: str,
    reveal: int = 0,
    user: User = Depends(require_role("review")),
    app: Trainer = Depends(trainer_of),
):
    if reveal:
        auth.require(*user, "reveal")
        app.state.log(user[0], "reveal_personal_data", conversation=sender_id)
    view = tracker.conversation(app.tracker, sender_id, masked=not reveal)
    if view is None:
        return missing(request, user, f"No conversation {sender_id}.")
    examples = load_examples(app.settings)
    hints = {t.event_id: nearest(examples, t.text, 2) for t in view.turns if not t.text.startswith("/")}
    tracker.sync(app.state, app.tracker)
    return page(
        request,
        "conversation.html",
        user,
        view=view,
        intents=domain_intents(app.settings),
        services=service_ids(app.settings),
        hints=hints,
        language_names=LANGUAGE_NAMES,
        reviewed=_is_reviewed(app, sender_id),
        low=app.settings.low_confidence,
    )


def _is_reviewed(app: Trainer, sender_id: str) -> bool:
    from sqlalchemy import select

    from trainer.state import reviewed

    with app.state.engine.connect() as conn:
        return conn.execute(select(reviewed).where(reviewed.c.sender_id == sender_id)).first() is not None


@router.get("/conversations/{sender_id}/export.json")
async def export(sender_id: str, user: User = Depends(require_role("review")), app: Trainer = Depends(trainer_of)):
    view = tracker.conversation(app.tracker, sender_id, masked=True)
    if view is None:
        return JSONResponse({"error": f"no conversation {sender_id}"}, status_code=404)
    app.state.log(user[0], "export", conversation=sender_id)
    return JSONResponse(
        {"sender_id": view.sender_id, "masked": True, "slots": view.slots, "turns": [t.__dict__ for t in view.turns]}
    )


@router.post("/conversations/{sender_id}/review")
async def review(
    request: Request,
    sender_id: str,
    form: dict = Depends(signed_in_form),
    user: User = Depends(require_role("review")),
    app: Trainer = Depends(trainer_of),
):
    value = form.get("reviewed", "1") == "1"
    tracker.mark_reviewed(app.state, sender_id, user[0], value)
    flash(request, "Marked as reviewed." if value else "Marked as not reviewed.")
    return redirect(f"/conversations/{sender_id}")


@router.post("/annotate")
async def annotate(
    request: Request,
    form: dict = Depends(signed_in_form),
    user: User = Depends(require_role("annotate")),
    app: Trainer = Depends(trainer_of),
):
    sender = str(form.get("sender_id") or "")
    try:
        out = ops.annotate(
            app.settings,
            app.state,
            user[0],
            str(form.get("text", "")),
            str(form.get("intent", "")),
            str(form.get("span") or ""),
            str(form.get("service") or ""),
            sender,
            int(form.get("event_id") or 0) or None,
            _language(str(form.get("language") or "")),
        )
        flash(request, out.message, "ok" if out.added else "info")
    except Refused as exc:
        flash(request, f"Not added: {exc}", "error")
    anchor = f"#turn-{form.get('event_id')}" if form.get("event_id") else ""
    return redirect(f"/conversations/{sender}{anchor}" if sender else "/intents")


def _date(value: str | None) -> dt.date | None:
    try:
        return dt.date.fromisoformat(value) if value else None
    except ValueError:
        return None


def _float(value: str | None) -> float | None:
    try:
        return float(value) if value else None
    except ValueError:
        return None


def _language(value: str | None) -> str | None:
    """A language code from a form or the query; an unknown one is ignored like any unreadable filter."""
    try:
        return parse_language(value) if value else None
    except ValueError:
        return None


def _bool(value: str | None) -> bool | None:
    return {"yes": True, "1": True, "true": True, "no": False, "0": False, "false": False}.get((value or "").lower())
