"""What every trainer page depends on: the installation, the signed-in user, the role and the form.

The checks run in the order the pages have always used, so a refusal reads the same: first
"please sign in" (`current_user`), then the CSRF check of a posted form (`signed_in_form`, which
depends on the user), then the role (`require_role`). FastAPI caches `current_user` per request,
so the user is looked up once however many dependencies ask for it.
"""

from __future__ import annotations

import datetime as dt
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any

from fastapi import Depends, Request
from fastapi import Path as PathParam
from fastapi.responses import HTMLResponse, RedirectResponse
from fastapi.templating import Jinja2Templates
from sqlalchemy.engine import Engine

from trainer import auth, sessions
from trainer.config import Settings
from trainer.language import CHINESE, language_name, text_language
from trainer.state import State

TEMPLATES = Jinja2Templates(directory=str(Path(__file__).resolve().parent.parent / "templates"))

User = tuple[str, str]  # (user name, role): the templates read user[1] for the role

# A row id in a path (jobs, sessions, API tokens): SQLite INTEGERs are 64-bit, so a larger number is a 422
# instead of a 500 from the database driver (found by tests/fuzz).
RowId = Annotated[int, PathParam(ge=0, le=2**63 - 1)]


def _when(ts: float | None) -> str:
    return dt.datetime.fromtimestamp(ts).strftime("%Y-%m-%d %H:%M") if ts else ""


def _html_lang(value: str | None) -> str:
    """The `lang` attribute for a citizen's words or a language code: pages are English, and Chinese text
    marked `zh-Hans` is drawn with Simplified Chinese glyph forms (the CJK font picks shapes by language)."""
    code = value if value in (CHINESE, "en") else text_language(value or "")
    return "zh-Hans" if code == CHINESE else "en"


TEMPLATES.env.filters["when"] = _when
TEMPLATES.env.filters["html_lang"] = _html_lang
TEMPLATES.env.filters["language_name"] = language_name


class LoginRequired(Exception):
    pass


class CsrfError(Exception):
    pass


@dataclass
class Trainer:
    """One running trainer: its settings, its own state database and the Rasa tracker store it reads."""

    settings: Settings
    state: State
    tracker: Engine


def trainer_of(request: Request) -> Trainer:
    return request.app.state.trainer


def user_or_none(request: Request) -> User | None:
    """The signed-in user, from the server-side session the cookie names (revoked or timed out: None)."""
    app = trainer_of(request)
    name = sessions.lookup(app.state, request.session.get("sid", ""), app.settings.accounts)
    role = auth.role_of(app.state, name) if name else None
    return (name, role) if role else None


def current_user(request: Request) -> User:
    user = user_or_none(request)
    if user is None:
        raise LoginRequired()
    return user


def require_role(permission: str) -> Callable[..., User]:
    """A dependency that lets the request through only for a role holding `permission` (`auth.PERMISSIONS`)."""

    def _check(user: User = Depends(current_user)) -> User:
        auth.require(*user, permission)
        return user

    return _check


def csrf_token(request: Request) -> str:
    if "csrf" not in request.session:
        request.session["csrf"] = secrets.token_urlsafe(24)
    return request.session["csrf"]


async def checked_form(request: Request) -> dict[str, Any]:
    """The posted form, once its CSRF token matches the session's; raises CsrfError otherwise."""
    data = await request.form()
    # A field sent twice (a quick-pick button and the dropdown both name "intent"): the first filled wins.
    form = {k: next((v for v in data.getlist(k) if v), "") for k in data}
    sent = form.pop("csrf_token", "") or request.headers.get("x-csrf-token", "")
    if not sent or not secrets.compare_digest(str(sent), request.session.get("csrf", "")):
        raise CsrfError()
    return form


async def signed_in_form(request: Request, user: User = Depends(current_user)) -> dict[str, Any]:
    """A signed-in user's CSRF-checked form (sign-in is checked first, as the pages always did)."""
    return await checked_form(request)


def flash(request: Request, message: str, kind: str = "ok") -> None:
    request.session.setdefault("flash", []).append({"kind": kind, "text": message})


def page(request: Request, template: str, user: User | None, status: int = 200, **ctx) -> HTMLResponse:
    messages = request.session.pop("flash", [])
    return TEMPLATES.TemplateResponse(
        request, template, {"user": user, "csrf": csrf_token(request), "messages": messages, **ctx}, status_code=status
    )


def missing(request: Request, user: User | None, message: str, title: str = "Not found") -> HTMLResponse:
    return page(request, "error.html", user, 404, title=title, message=message)


def redirect(target: str) -> RedirectResponse:
    return RedirectResponse(target, status_code=303)
