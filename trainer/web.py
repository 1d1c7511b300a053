"""The trainer's web pages (FastAPI + Jinja2), served on 127.0.0.1.

Every page needs a signed-in trainer; every form carries a per-session CSRF token; every action
checks the role (`Depends(require_role(...))`) and a refusal says which role is needed. Long work
(validate, train, evaluate) runs as a background job whose page polls `/jobs/{id}/status` for live
progress and the log. The pages live in `trainer/routes/`, one router per area; this module only
assembles the app: state, session middleware, the refusal pages and the routers.
"""

from __future__ import annotations

import secrets

from fastapi import FastAPI, Request
from fastapi.responses import RedirectResponse
from starlette.middleware.sessions import SessionMiddleware

from trainer import auth, jobs, tracker
from trainer.config import Settings
from trainer.request_context import RequestContext
from trainer.routes import accounts, conversations, intents, own_account, signin, work
from trainer.routes.deps import CsrfError, LoginRequired, Trainer, page, user_or_none
from trainer.state import State

COOKIE = "lobby_trainer"
ROUTERS = (signin.router, conversations.router, intents.router, work.router, accounts.router, own_account.router)


def _secret(settings: Settings) -> str:
    settings.ensure_dirs()
    path = settings.state_dir / "secret_key"
    if not path.exists():
        path.write_text(secrets.token_hex(32))
        path.chmod(0o600)
    return path.read_text().strip()


async def _login_required(request: Request, exc: LoginRequired):
    if request.method == "GET":
        return RedirectResponse(f"/login?next={request.url.path}", status_code=303)
    return page(request, "error.html", None, 401, title="Signed out", message="Please sign in again.")


async def _forbidden(request: Request, exc: auth.Forbidden):
    return page(request, "error.html", user_or_none(request), 403, title="Not allowed", message=str(exc))


async def _csrf_failed(request: Request, exc: CsrfError):
    return page(
        request,
        "error.html",
        user_or_none(request),
        403,
        title="Form expired",
        message="This form was not sent from a current trainer page (CSRF check failed). "
        "Reload the page and try again; nothing was changed.",
    )


def create_app(settings: Settings) -> FastAPI:
    settings.ensure_dirs()
    state = State.open(settings.state_db_url)
    jobs.mark_abandoned(state)
    app = FastAPI(title="Lobby Guide trainer", docs_url=None, redoc_url=None, openapi_url=None)
    # The signed cookie carries only the CSRF token, flash messages and the id of a server-side session
    # (trainer/sessions.py): who is signed in, and for how long, is decided by the database.
    policy = settings.accounts
    app.add_middleware(
        SessionMiddleware,
        secret_key=_secret(settings),
        session_cookie=COOKIE,
        max_age=int(policy.absolute_seconds),
        same_site="strict",
        https_only=policy.cookie_secure == "always",
    )
    app.add_middleware(RequestContext, cookie_name=COOKIE, secure_on_https=policy.cookie_secure == "auto")
    app.state.settings, app.state.state = settings, state
    app.state.trainer = Trainer(settings, state, tracker.open_tracker(settings.tracker_url))
    app.add_exception_handler(LoginRequired, _login_required)
    app.add_exception_handler(auth.Forbidden, _forbidden)
    app.add_exception_handler(CsrfError, _csrf_failed)
    for router in ROUTERS:
        app.include_router(router)
    return app
