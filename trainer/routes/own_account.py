"""A trainer's own account: change the password (the current one is asked again) and see or end
their own sessions. A password change signs out every other browser and gives this one a new session."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Request

from trainer import auth, passwords, sessions
from trainer.routes.deps import Trainer, User, current_user, flash, page, redirect, signed_in_form, trainer_of

router = APIRouter()


def _client(request: Request) -> str:
    return request.client.host if request.client else ""


@router.get("/account")
async def account_page(request: Request, user: User = Depends(current_user), app: Trainer = Depends(trainer_of)):
    mine = sessions.active(app.state, app.settings.accounts, user[0])
    this = sessions.digest(request.session.get("sid", ""))
    return page(
        request,
        "account.html",
        user,
        sessions=mine,
        this_session=next((s.id for s in mine if sessions.session_hash(app.state, s.id) == this), None),
        min_length=passwords.MIN_LENGTH,
        max_length=passwords.MAX_LENGTH,
    )


@router.post("/account/password")
async def change_password(
    request: Request,
    form: dict = Depends(signed_in_form),
    user: User = Depends(current_user),
    app: Trainer = Depends(trainer_of),
):
    name, policy = user[0], app.settings.accounts
    current, new = str(form.get("current", "")), str(form.get("password", ""))
    if new != str(form.get("again", "")):
        flash(request, "Not changed: the two new passwords differ.", "error")
        return redirect("/account")
    # The current password goes through the throttle like a sign-in: a borrowed browser cannot guess it.
    if auth.sign_in(app.state, name, current, _client(request), policy).role is None:
        flash(request, "Not changed: the current password is wrong (or too many tries: wait a few minutes).", "error")
        return redirect("/account")
    try:
        ended = auth.set_password(app.state, name, new)
    except ValueError as exc:
        flash(request, f"Not changed: {exc}", "error")
        return redirect("/account")
    app.state.log(name, "change_own_password", other_sessions_ended=max(0, ended - 1))
    request.session.clear()
    request.session["sid"] = sessions.create(
        app.state, name, policy, _client(request), request.headers.get("user-agent", "")
    )
    flash(request, f"Password changed; {max(0, ended - 1)} other session(s) signed out.")
    return redirect("/account")


@router.post("/account/sign-out-others")
async def sign_out_others(
    request: Request,
    form: dict = Depends(signed_in_form),
    user: User = Depends(current_user),
    app: Trainer = Depends(trainer_of),
):
    ended = sessions.revoke_others(app.state, user[0], request.session.get("sid", ""))
    app.state.log(user[0], "sign_out_other_sessions", sessions_revoked=ended)
    flash(request, f"{ended} other session(s) signed out.")
    return redirect("/account")
