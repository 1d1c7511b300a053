"""The trainer's web pages (FastAPI + Jinja2), served on 127.0.0.1.

Every page needs a signed-in trainer; every form carries a per-session CSRF token; every action
checks the role (`auth.require`) and a refusal says which role is needed. Long work (validate,
train, evaluate) runs as a background job whose page polls `/jobs/{id}/status` for live progress
and the log.
"""

from __future__ import annotations

import datetime as dt
import json
import secrets
from pathlib import Path
from typing import Any

from fastapi import FastAPI, Request
from fastapi.responses import FileResponse, HTMLResponse, JSONResponse, RedirectResponse, Response
from fastapi.templating import Jinja2Templates
from starlette.concurrency import run_in_threadpool
from starlette.middleware.sessions import SessionMiddleware

from trainer import annotate as ops
from trainer import auth, jobs, models, tracker
from trainer.config import Settings
from trainer.curation import intent_summaries, nearest, similar_pairs
from trainer.evaluation import load_report, report_path
from trainer.nludata import Refused, domain_intents, load_examples, service_ids
from trainer.state import State

TEMPLATES = Jinja2Templates(directory=str(Path(__file__).parent / "templates"))


def _when(ts: float | None) -> str:
    return dt.datetime.fromtimestamp(ts).strftime("%Y-%m-%d %H:%M") if ts else ""


TEMPLATES.env.filters["when"] = _when


class LoginRequired(Exception):
    pass


class CsrfError(Exception):
    pass


def _secret(settings: Settings) -> str:
    settings.ensure_dirs()
    path = settings.state_dir / "secret_key"
    if not path.exists():
        path.write_text(secrets.token_hex(32))
        path.chmod(0o600)
    return path.read_text().strip()


def create_app(settings: Settings) -> FastAPI:
    settings.ensure_dirs()
    state = State.open(settings.state_db_url)
    jobs.mark_abandoned(state)
    tracker_engine = tracker.open_tracker(settings.tracker_url)
    app = FastAPI(title="Lobby Guide trainer", docs_url=None, redoc_url=None, openapi_url=None)
    app.add_middleware(
        SessionMiddleware,
        secret_key=_secret(settings),
        session_cookie="lobby_trainer",
        max_age=12 * 3600,
        same_site="strict",
    )
    app.state.settings, app.state.state = settings, state

    def user_of(request: Request) -> tuple[str, str]:
        name = request.session.get("user")
        role = auth.role_of(state, name) if name else None
        if not role:
            raise LoginRequired()
        return name, role

    def csrf(request: Request) -> str:
        if "csrf" not in request.session:
            request.session["csrf"] = secrets.token_urlsafe(24)
        return request.session["csrf"]

    async def form_of(request: Request) -> dict[str, Any]:
        data = await request.form()
        # A field sent twice (a quick-pick button and the dropdown both name "intent"): the first filled wins.
        form = {k: next((v for v in data.getlist(k) if v), "") for k in data}
        sent = form.pop("csrf_token", "") or request.headers.get("x-csrf-token", "")
        if not sent or not secrets.compare_digest(str(sent), request.session.get("csrf", "")):
            raise CsrfError()
        return form

    def flash(request: Request, message: str, kind: str = "ok") -> None:
        request.session.setdefault("flash", []).append({"kind": kind, "text": message})

    def page(request: Request, template: str, user: tuple[str, str] | None, status: int = 200, **ctx) -> HTMLResponse:
        messages = request.session.pop("flash", [])
        return TEMPLATES.TemplateResponse(
            request, template, {"user": user, "csrf": csrf(request), "messages": messages, **ctx}, status_code=status
        )

    def back(request: Request, fallback: str) -> RedirectResponse:
        target = request.headers.get("referer") or fallback
        return RedirectResponse(target, status_code=303)

    @app.exception_handler(LoginRequired)
    async def _login(request: Request, exc: LoginRequired):
        if request.method == "GET":
            return RedirectResponse(f"/login?next={request.url.path}", status_code=303)
        return page(request, "error.html", None, 401, title="Signed out", message="Please sign in again.")

    @app.exception_handler(auth.Forbidden)
    async def _forbidden(request: Request, exc: auth.Forbidden):
        return page(request, "error.html", _maybe_user(request), 403, title="Not allowed", message=str(exc))

    @app.exception_handler(CsrfError)
    async def _csrf(request: Request, exc: CsrfError):
        return page(
            request,
            "error.html",
            _maybe_user(request),
            403,
            title="Form expired",
            message="This form was not sent from a current trainer page (CSRF check failed). "
            "Reload the page and try again; nothing was changed.",
        )

    def _maybe_user(request: Request):
        try:
            return user_of(request)
        except LoginRequired:
            return None

    # ---- sign-in -------------------------------------------------------------------------------
    @app.get("/login")
    async def login_page(request: Request, next: str = "/inbox"):
        return page(request, "login.html", None, next=next)

    @app.post("/login")
    async def login(request: Request):
        form = await form_of(request)
        name, password = str(form.get("username", "")), str(form.get("password", ""))
        role = auth.verify(state, name, password)
        if not role:
            state.log(name or "?", "login_failed")
            return page(
                request, "login.html", None, 401, next=form.get("next", "/inbox"), error="Wrong user name or password."
            )
        request.session.clear()
        request.session["user"] = name
        state.log(name, "login")
        target = str(form.get("next") or "/inbox")
        return RedirectResponse(target if target.startswith("/") and not target.startswith("//") else "/inbox", 303)

    @app.post("/logout")
    async def logout(request: Request):
        await form_of(request)
        request.session.clear()
        return RedirectResponse("/login", status_code=303)

    @app.get("/")
    async def home():
        return RedirectResponse("/inbox", status_code=303)

    # ---- inbox and conversations ---------------------------------------------------------------
    @app.get("/inbox")
    async def inbox(request: Request):
        user = user_of(request)
        auth.require(*user, "review")
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
            page=int(q.get("page") or 1),
        )
        await run_in_threadpool(tracker.sync, state, tracker_engine)  # blocking I/O off the event loop
        result = await run_in_threadpool(tracker.inbox, state, f)
        query = {k: v for k, v in q.items() if v and k != "page"}
        return page(
            request,
            "inbox.html",
            user,
            inbox=result,
            q=query,
            channels=tracker.CHANNELS,
            pages=(result.total + f.per_page - 1) // f.per_page,
        )

    @app.get("/conversations/{sender_id}")
    async def conversation(request: Request, sender_id: str, reveal: int = 0):
        user = user_of(request)
        auth.require(*user, "review")
        if reveal:
            auth.require(*user, "reveal")
            state.log(user[0], "reveal_personal_data", conversation=sender_id)
        view = tracker.conversation(tracker_engine, sender_id, masked=not reveal)
        if view is None:
            return page(request, "error.html", user, 404, title="Not found", message=f"No conversation {sender_id}.")
        examples = load_examples(settings)
        hints = {t.event_id: nearest(examples, t.text, 2) for t in view.turns if not t.text.startswith("/")}
        tracker.sync(state, tracker_engine)
        is_reviewed = any(r["sender_id"] == sender_id for r in _reviewed(sender_id))
        return page(
            request,
            "conversation.html",
            user,
            view=view,
            intents=domain_intents(settings),
            services=service_ids(settings),
            hints=hints,
            reviewed=is_reviewed,
            low=settings.low_confidence,
        )

    def _reviewed(sender_id: str) -> list[dict]:
        from sqlalchemy import select

        from trainer.state import reviewed

        with state.engine.connect() as conn:
            return [dict(r) for r in conn.execute(select(reviewed).where(reviewed.c.sender_id == sender_id)).mappings()]

    @app.get("/conversations/{sender_id}/export.json")
    async def export(request: Request, sender_id: str):
        user = user_of(request)
        auth.require(*user, "review")
        view = tracker.conversation(tracker_engine, sender_id, masked=True)
        if view is None:
            return JSONResponse({"error": f"no conversation {sender_id}"}, status_code=404)
        state.log(user[0], "export", conversation=sender_id)
        return JSONResponse(
            {
                "sender_id": view.sender_id,
                "masked": True,
                "slots": view.slots,
                "turns": [t.__dict__ for t in view.turns],
            }
        )

    @app.post("/conversations/{sender_id}/review")
    async def review(request: Request, sender_id: str):
        user = user_of(request)
        form = await form_of(request)
        auth.require(*user, "review")
        value = form.get("reviewed", "1") == "1"
        tracker.mark_reviewed(state, sender_id, user[0], value)
        flash(request, "Marked as reviewed." if value else "Marked as not reviewed.")
        return RedirectResponse(f"/conversations/{sender_id}", status_code=303)

    @app.post("/annotate")
    async def annotate(request: Request):
        user = user_of(request)
        form = await form_of(request)
        auth.require(*user, "annotate")
        sender = str(form.get("sender_id") or "")
        try:
            out = ops.annotate(
                settings,
                state,
                user[0],
                str(form.get("text", "")),
                str(form.get("intent", "")),
                str(form.get("span") or ""),
                str(form.get("service") or ""),
                sender,
                int(form.get("event_id") or 0) or None,
            )
            flash(request, out.message, "ok" if out.added else "info")
        except Refused as exc:
            flash(request, f"Not added: {exc}", "error")
        anchor = f"#turn-{form.get('event_id')}" if form.get("event_id") else ""
        return RedirectResponse(f"/conversations/{sender}{anchor}" if sender else "/intents", status_code=303)

    # ---- intents -------------------------------------------------------------------------------
    def _last_f1() -> tuple[dict[str, float], str | None]:
        live = models.live_model(settings)
        rep = load_report(settings, live) if live else None
        if rep is None:
            reports = sorted((settings.state_dir / "reports").glob("*.json"), key=lambda p: p.stat().st_mtime)
            rep = json.loads(reports[-1].read_text()) if reports else None
        if rep is None:
            return {}, None
        return {k: v["f1"] for k, v in rep["per_intent"].items()}, rep["model"]

    @app.get("/intents")
    async def intents(request: Request):
        user = user_of(request)
        auth.require(*user, "review")
        f1, f1_model = _last_f1()
        summaries = intent_summaries(settings, f1)
        pairs = similar_pairs(load_examples(settings), settings.similarity_threshold)
        return page(
            request,
            "intents.html",
            user,
            intents=summaries,
            pairs=pairs,
            f1_model=f1_model,
            min_examples=settings.min_examples,
        )

    @app.get("/intents/{name}")
    async def intent(request: Request, name: str):
        user = user_of(request)
        auth.require(*user, "review")
        examples = [e for e in load_examples(settings) if e.intent == name]
        if name not in domain_intents(settings):
            return page(request, "error.html", user, 404, title="Not found", message=f"No intent {name}.")
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
            intents=domain_intents(settings),
            pairs=pairs,
            min_examples=settings.min_examples,
        )

    @app.post("/intents/{name}/{op}")
    async def curate(request: Request, name: str, op: str):
        user = user_of(request)
        form = await form_of(request)
        auth.require(*user, "curate")
        index = int(form.get("index") or 0)
        expected = form.get("expected")
        try:
            if op == "add":
                out = ops.add(settings, state, user[0], name, str(form.get("text", "")))
            elif op == "edit":
                out = ops.edit(settings, state, user[0], name, index, str(form.get("text", "")), expected)
            elif op == "move":
                out = ops.move(settings, state, user[0], name, index, str(form.get("to", "")), expected)
            elif op == "delete":
                out = ops.delete(settings, state, user[0], name, index, expected)
            else:
                return page(request, "error.html", user, 404, title="Not found", message=f"No operation {op}.")
            flash(request, out.message, "ok" if out.added else "info")
        except Refused as exc:
            flash(request, f"Not changed: {exc}", "error")
        return RedirectResponse(f"/intents/{name}", status_code=303)

    # ---- jobs ----------------------------------------------------------------------------------
    @app.get("/jobs")
    async def job_list(request: Request):
        user = user_of(request)
        auth.require(*user, "review")
        names = [m.name for m in models.list_models(settings, None)]
        return page(request, "jobs.html", user, jobs=jobs.recent(state), models=names)

    @app.post("/jobs")
    async def job_start(request: Request):
        user = user_of(request)
        form = await form_of(request)
        auth.require(*user, "train")
        kind = str(form.get("kind", ""))
        if kind not in jobs.KINDS:
            flash(request, f"Unknown job kind {kind!r}.", "error")
            return RedirectResponse("/jobs", status_code=303)
        try:
            job_id = jobs.create(settings, state, kind, user[0], form.get("model") or None)
        except jobs.JobBusy as exc:
            flash(request, str(exc), "error")
            return RedirectResponse("/jobs", status_code=303)
        jobs.start_background(settings, state, job_id)
        return RedirectResponse(f"/jobs/{job_id}", status_code=303)

    @app.get("/jobs/{job_id}")
    async def job_page(request: Request, job_id: int):
        user = user_of(request)
        job = jobs.get(state, job_id)
        if job is None:
            return page(request, "error.html", user, 404, title="Not found", message=f"No job {job_id}.")
        return page(request, "job.html", user, job=job, log=jobs.log_tail(settings, job_id))

    @app.get("/jobs/{job_id}/status")
    async def job_status(request: Request, job_id: int):
        user_of(request)
        job = jobs.get(state, job_id)
        if job is None:
            return JSONResponse({"error": "no such job"}, status_code=404)
        return JSONResponse(
            {
                "id": job_id,
                "kind": job["kind"],
                "status": job["status"],
                "step": job["step"],
                "progress": job["progress"],
                "result": job["result"],
                "log": jobs.log_tail(settings, job_id),
            }
        )

    # ---- models, reports, roll-out -------------------------------------------------------------
    @app.get("/models")
    async def model_list(request: Request):
        user = user_of(request)
        auth.require(*user, "review")
        live = models.live_model(settings)
        return page(
            request,
            "models.html",
            user,
            models=models.list_models(settings, live),
            live=live,
            history=models.history(state),
            rasa_url=settings.rasa_url,
        )

    @app.get("/reports/{name}")
    async def report(request: Request, name: str):
        user = user_of(request)
        auth.require(*user, "review")
        rep = load_report(settings, name)
        if rep is None:
            return page(request, "error.html", user, 404, title="No report", message=f"{name} has not been evaluated.")
        live = models.live_model(settings)
        if live and live != name:
            gate = await run_in_threadpool(models.gate_for, settings, name, live, lambda _: None)
        else:
            fallback = {"passed": True, "margin": settings.gate_margin, "reason": "this is the live model"}
            gate = rep.get("gate") or fallback
        return page(request, "report.html", user, rep=rep, live=live, gate=gate)

    @app.get("/reports/{name}/confusion.png")
    async def report_png(request: Request, name: str):
        user_of(request)
        path = report_path(settings, Path(name).name).with_suffix(".png")
        if not path.exists():
            return Response(status_code=404)
        return FileResponse(path, media_type="image/png")

    @app.post("/models/{name}/activate")
    async def activate(request: Request, name: str):
        user = user_of(request)
        form = await form_of(request)
        auth.require(*user, "activate")
        try:
            # Loading a model takes about a minute: off the event loop, so other pages stay responsive.
            reason = str(form.get("override_reason") or "")
            out = await run_in_threadpool(models.activate, settings, state, name, user[0], reason, say=lambda _: None)
            flash(request, f"{out['model']} is live (replacing {out['previous']}).")
        except Refused as exc:
            flash(request, str(exc), "error")
        except RuntimeError as exc:
            flash(request, f"Activation failed, the live model is unchanged: {exc}", "error")
        return RedirectResponse("/models", status_code=303)

    @app.post("/rollback")
    async def rollback(request: Request):
        user = user_of(request)
        await form_of(request)  # checks the CSRF token; the form has no fields
        auth.require(*user, "rollback")
        try:
            out = await run_in_threadpool(models.rollback, settings, state, user[0], say=lambda _: None)
            flash(request, f"Rolled back: {out['model']} is live again (replacing {out['previous']}).")
        except (Refused, RuntimeError) as exc:
            flash(request, str(exc), "error")
        return RedirectResponse("/models", status_code=303)

    # ---- accounts and audit --------------------------------------------------------------------
    @app.get("/users")
    async def users_page(request: Request):
        user = user_of(request)
        auth.require(*user, "manage_users")
        return page(request, "users.html", user, users=auth.list_users(state), roles=auth.ROLES)

    @app.post("/users")
    async def users_add(request: Request):
        user = user_of(request)
        form = await form_of(request)
        auth.require(*user, "manage_users")
        try:
            auth.add_user(
                state, str(form.get("username", "")), str(form.get("password", "")), str(form.get("role", ""))
            )
            state.log(user[0], "add_user", username=form.get("username"), role=form.get("role"))
            flash(request, f"Added {form.get('username')} ({form.get('role')}).")
        except ValueError as exc:
            flash(request, f"Not added: {exc}", "error")
        return RedirectResponse("/users", status_code=303)

    @app.get("/audit")
    async def audit_page(request: Request):
        user = user_of(request)
        auth.require(*user, "review")
        return page(request, "audit.html", user, entries=state.audit_entries())

    return app


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


def _bool(value: str | None) -> bool | None:
    return {"yes": True, "1": True, "true": True, "no": False, "0": False, "false": False}.get((value or "").lower())
