"""Signing in and out."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Request

from trainer import auth
from trainer.routes.deps import Trainer, checked_form, page, redirect, trainer_of

router = APIRouter()


@router.get("/login")
async def login_page(request: Request, next: str = "/inbox"):
    return page(request, "login.html", None, next=next)


@router.post("/login")
async def login(request: Request, form: dict = Depends(checked_form), app: Trainer = Depends(trainer_of)):
    name, password = str(form.get("username", "")), str(form.get("password", ""))
    role = auth.verify(app.state, name, password)
    if not role:
        app.state.log(name or "?", "login_failed")
        return page(
            request, "login.html", None, 401, next=form.get("next", "/inbox"), error="Wrong user name or password."
        )
    request.session.clear()
    request.session["user"] = name
    app.state.log(name, "login")
    target = str(form.get("next") or "/inbox")
    # Only a path on this site: an absolute or protocol-relative `next` would be an open redirect.
    return redirect(target if target.startswith("/") and not target.startswith("//") else "/inbox")


@router.post("/logout", dependencies=[Depends(checked_form)])
async def logout(request: Request):
    request.session.clear()
    return redirect("/login")


@router.get("/")
async def home():
    return redirect("/inbox")
