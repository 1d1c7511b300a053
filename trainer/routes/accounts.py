"""Trainer accounts (admins only): add, disable, change role, reset password, unlock; sessions and
API tokens listed and revoked; and the audit log."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Request

from trainer import account_admin, auth, sessions, tokens
from trainer.passwords import MAX_LENGTH, MIN_LENGTH
from trainer.routes.deps import (
    RowId,
    Trainer,
    User,
    flash,
    page,
    redirect,
    require_role,
    signed_in_form,
    trainer_of,
)

router = APIRouter()


def _users_page(request: Request, user: User, app: Trainer, **extra):
    return page(
        request,
        "users.html",
        user,
        users=auth.list_users(app.state),
        roles=auth.ROLES,
        sessions=sessions.active(app.state, app.settings.accounts),
        tokens=tokens.listing(app.state),
        min_length=MIN_LENGTH,
        max_length=MAX_LENGTH,
        policy=app.settings.accounts,
        **extra,
    )


@router.get("/users")
async def users_page(
    request: Request, user: User = Depends(require_role("manage_users")), app: Trainer = Depends(trainer_of)
):
    return _users_page(request, user, app)


@router.post("/users")
async def users_add(
    request: Request,
    form: dict = Depends(signed_in_form),
    user: User = Depends(require_role("manage_users")),
    app: Trainer = Depends(trainer_of),
):
    name, role = str(form.get("username", "")), str(form.get("role", ""))
    try:
        account_admin.add_user(app.state, user[0], name, str(form.get("password", "")), role)
        flash(request, f"Added {name} ({role}).")
    except ValueError as exc:
        flash(request, f"Not added: {exc}", "error")
    return redirect("/users")


@router.post("/users/{name}/{op}")
async def user_change(
    request: Request,
    name: str,
    op: str,
    form: dict = Depends(signed_in_form),
    user: User = Depends(require_role("manage_users")),
    app: Trainer = Depends(trainer_of),
):
    """One change to one account; every branch is audited by `account_admin`."""
    state, by = app.state, user[0]
    try:
        if op == "disable":
            n = account_admin.disable(state, by, name)
            flash(request, f"Disabled {name}; {n} session(s) signed out.")
        elif op == "enable":
            account_admin.enable(state, by, name)
            flash(request, f"Enabled {name}.")
        elif op == "role":
            account_admin.change_role(state, by, name, str(form.get("role", "")))
            flash(request, f"{name} is now {form.get('role')}.")
        elif op == "password":
            n = account_admin.reset_password(state, by, name, str(form.get("password", "")))
            flash(request, f"Password of {name} changed; {n} session(s) signed out.")
        elif op == "revoke-sessions":
            n = account_admin.revoke_sessions(state, by, name)
            flash(request, f"Signed {name} out of {n} session(s).")
        elif op == "unlock":
            account_admin.unlock(state, by, name)
            flash(request, f"Sign-in for {name} unlocked.")
        elif op == "token":
            days = float(form["days"]) if form.get("days") else None
            token_id, token = account_admin.issue_token(state, by, name, str(form.get("label", "")), days)
            # Shown once on this response, never put in the (client-side) flash cookie.
            return _users_page(request, user, app, new_token={"id": token_id, "user": name, "token": token})
        else:
            flash(request, f"No operation {op}.", "error")
    except ValueError as exc:
        flash(request, f"Not changed: {exc}", "error")
    return redirect("/users")


@router.post("/sessions/{session_id}/revoke")
async def session_revoke(
    request: Request,
    session_id: RowId,
    form: dict = Depends(signed_in_form),
    user: User = Depends(require_role("manage_users")),
    app: Trainer = Depends(trainer_of),
):
    owner = account_admin.revoke_session(app.state, user[0], session_id)
    flash(request, f"Session {session_id} of {owner} revoked." if owner else f"No session {session_id}.")
    return redirect("/users")


@router.post("/tokens/{token_id}/revoke")
async def token_revoke(
    request: Request,
    token_id: RowId,
    form: dict = Depends(signed_in_form),
    user: User = Depends(require_role("manage_users")),
    app: Trainer = Depends(trainer_of),
):
    owner = account_admin.revoke_token(app.state, user[0], token_id)
    flash(request, f"API token {token_id} of {owner} revoked." if owner else f"No usable API token {token_id}.")
    return redirect("/users")


@router.get("/audit")
async def audit_page(
    request: Request, user: User = Depends(require_role("review")), app: Trainer = Depends(trainer_of)
):
    return page(request, "audit.html", user, entries=app.state.audit_entries())
