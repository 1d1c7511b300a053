"""Trainer accounts (admins only) and the audit log."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Request

from trainer import auth
from trainer.routes.deps import Trainer, User, flash, page, redirect, require_role, signed_in_form, trainer_of

router = APIRouter()


@router.get("/users")
async def users_page(
    request: Request, user: User = Depends(require_role("manage_users")), app: Trainer = Depends(trainer_of)
):
    return page(request, "users.html", user, users=auth.list_users(app.state), roles=auth.ROLES)


@router.post("/users")
async def users_add(
    request: Request,
    form: dict = Depends(signed_in_form),
    user: User = Depends(require_role("manage_users")),
    app: Trainer = Depends(trainer_of),
):
    try:
        auth.add_user(
            app.state, str(form.get("username", "")), str(form.get("password", "")), str(form.get("role", ""))
        )
        app.state.log(user[0], "add_user", username=form.get("username"), role=form.get("role"))
        flash(request, f"Added {form.get('username')} ({form.get('role')}).")
    except ValueError as exc:
        flash(request, f"Not added: {exc}", "error")
    return redirect("/users")


@router.get("/audit")
async def audit_page(
    request: Request, user: User = Depends(require_role("review")), app: Trainer = Depends(trainer_of)
):
    return page(request, "audit.html", user, entries=app.state.audit_entries())
