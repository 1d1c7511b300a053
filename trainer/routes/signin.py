"""Signing in and out.

Sign-in goes through the throttle (`auth.sign_in`); a success starts a new server-side session and a
new cookie content (new session id and CSRF token: no session fixation). Every refusal reads the
same whether or not the name exists. Signing out deletes the server-side session.
"""

from __future__ import annotations

import math

from fastapi import APIRouter, Depends, Request

from trainer import auth, sessions
from trainer.routes.deps import Trainer, checked_form, page, redirect, trainer_of

router = APIRouter()


def _client(request: Request) -> str:
    return request.client.host if request.client else ""


@router.get("/login")
async def login_page(request: Request, next: str = "/inbox"):
    return page(request, "login.html", None, next=next)


@router.post("/login")
async def login(request: Request, form: dict = Depends(checked_form), app: Trainer = Depends(trainer_of)):
    name, password = str(form.get("username", "")), str(form.get("password", ""))
    policy = app.settings.accounts
    outcome = auth.sign_in(app.state, name, password, _client(request), policy)
    if not outcome.role:
        error, status = "Wrong user name or password.", 401
        if outcome.wait_seconds > 0:
            minutes = max(1, math.ceil(outcome.wait_seconds / 60))
            error = (
                "Too many failed sign-ins for this name or from this computer. "
                f"Try again in {minutes} minute{'s' if minutes > 1 else ''}."
            )
            status = 429
        return page(request, "login.html", None, status, next=form.get("next", "/inbox"), error=error)
    old = request.session.get("sid")
    if old:
        sessions.end(app.state, old)
    request.session.clear()
    request.session["sid"] = sessions.create(
        app.state, name, policy, _client(request), request.headers.get("user-agent", "")
    )
    app.state.log(name, "login")
    target = str(form.get("next") or "/inbox")
    # Only a path on this site: an absolute or protocol-relative `next` would be an open redirect.
    return redirect(target if target.startswith("/") and not target.startswith("//") else "/inbox")


@router.post("/logout", dependencies=[Depends(checked_form)])
async def logout(request: Request, app: Trainer = Depends(trainer_of)):
    sid = request.session.get("sid")
    if sid:
        sessions.end(app.state, sid)
    request.session.clear()
    return redirect("/login")


@router.get("/")
async def home():
    return redirect("/inbox")
