"""`python -m trainer`: the trainer studio from the command line.

    python -m trainer serve                            # the web pages on 127.0.0.1:$LOBBY_TRAINER_PORT
    python -m trainer users add alice --role admin     # first admin (asks for the password)
    python -m trainer inbox --low-confidence 0.6       # conversations where the guide was unsure
    python -m trainer inbox --language zh              # conversations with a message in Chinese
    python -m trainer annotate "when do you close" --intent hall_hours --user alice
    python -m trainer train --user alice               # validate, train, evaluate (progress printed)
    python -m trainer evaluate [--model NAME] --user alice
    python -m trainer activate NAME --user alice [--override-reason TEXT]
    python -m trainer rollback --user alice
    python -m trainer sessions list | revoke ID | revoke --of NAME --user alice     (admin)
    python -m trainer tokens issue NAME | list | revoke ID --user alice             (admin)
    python -m trainer audit [--limit N] --user alice                                (admin)

Commands that change something act as a trainer account that proves who it is: the account's
password (asked on the terminal, or from $LOBBY_TRAINER_PASSWORD or --password-file), or an API
token an admin issued ($LOBBY_TRAINER_API_TOKEN or --api-token-file). Its role is enforced, and
everything it does lands in the audit log (with the shell account it ran from), like changes made
in the web pages.
"""

from __future__ import annotations

import argparse
import datetime as dt
import getpass
import json
import os
import sys
from pathlib import Path

from trainer import audit
from trainer.config import Settings


def _settings(args: argparse.Namespace) -> Settings:
    return Settings(
        project=Path(args.project) if args.project else Settings().project,
        tracker_url=args.tracker_url or "",
        rasa_url=args.rasa_url or "",
        rasa_token=args.token or "",
        state_dir=Path(args.state_dir) if args.state_dir else None,
    )


def _state(settings: Settings):
    from trainer.state import State

    settings.ensure_dirs()
    return State.open(settings.state_db_url)


def _user(state, args, permission: str) -> str:
    """The account this command acts as, once its password or API token checks out and its role allows it."""
    from trainer import cli_auth

    return cli_auth.authenticate(state, args, permission, _settings(args).accounts)


def cmd_serve(args, settings: Settings) -> int:
    import uvicorn

    from trainer.web import create_app

    print(f"trainer studio on http://{args.host}:{args.port}/ (project {settings.project})", flush=True)
    uvicorn.run(create_app(settings), host=args.host, port=args.port, log_level="warning")
    return 0


def cmd_inbox(args, settings: Settings) -> int:
    from trainer import tracker

    state = _state(settings)
    n = tracker.sync(state, tracker.open_tracker(settings.tracker_url))
    if n:
        print(f"indexed {n} new events", file=sys.stderr)
    f = tracker.InboxFilter(
        date_from=dt.date.fromisoformat(args.date_from) if args.date_from else None,
        date_to=dt.date.fromisoformat(args.date_to) if args.date_to else None,
        channel=args.channel,
        kiosk_id=args.kiosk,
        intent=args.intent,
        below=args.low_confidence,
        fallback=True if args.fallback else None,
        handoff=True if args.handoff else None,
        reviewed=False if args.unreviewed else True if args.reviewed else None,
        language=args.language,
        per_page=args.limit,
    )
    page = tracker.inbox(state, f)
    if args.json:
        print(json.dumps(page.rows, indent=1, default=str))
        return 0
    print(f"{page.total} conversations (showing {len(page.rows)}); personal data masked")
    for r in page.rows:
        conf = f"{r['min_conf']:.2f}" if r["min_conf"] is not None else "  - "
        flags = " ".join(
            x for x, on in (("fallback", r["fallback"]), ("handoff", r["handoff"]), ("reviewed", r["reviewed"])) if on
        )
        when = dt.datetime.fromtimestamp(r["last_ts"]).strftime("%Y-%m-%d %H:%M") if r["last_ts"] else ""
        langs = ",".join(r["languages"].split())
        snippet = r["snippet"][:60]
        print(f"{when}  {r['sender_id'][:24]:24}  {r['channel'] or '':6} {langs:5} {conf}  {snippet!r}  {flags}")
    return 0


def cmd_show(args, settings: Settings) -> int:
    from trainer import tracker

    view = tracker.conversation(tracker.open_tracker(settings.tracker_url), args.sender_id, masked=True)
    if view is None:
        print(f"no conversation {args.sender_id}", file=sys.stderr)
        return 1
    for t in view.turns:
        conf = f"{t.confidence:.2f}" if t.confidence is not None else "-"
        print(f"[{t.event_id}] user ({t.language}): {t.text}   ({t.intent} {conf}; service={t.service})")
        for r in t.replies:
            print(f"      bot: {r}")
    return 0


def cmd_annotate(args, settings: Settings) -> int:
    from trainer.annotate import annotate
    from trainer.nludata import Refused

    state = _state(settings)
    user = _user(state, args, "annotate")
    try:
        out = annotate(settings, state, user, args.text, args.intent, args.span, args.service, language=args.language)
    except Refused as exc:
        print(f"refused: {exc}", file=sys.stderr)
        return 2
    print(out.message)
    return 0


def _run_job(settings: Settings, kind: str, user: str, model: str | None = None) -> int:
    from trainer import jobs

    state = _state(settings)
    try:
        job_id = jobs.create(settings, state, kind, user, model)
    except jobs.JobBusy as exc:
        print(f"refused: {exc}", file=sys.stderr)
        return 2
    print(f"job #{job_id}: {kind} (log: {settings.state_dir / 'jobs' / f'{job_id}.log'})", flush=True)
    out = jobs.run(settings, state, job_id, echo=lambda line: print(f"  {line}", flush=True))
    if out["status"] != "succeeded":
        print(f"failed: {out.get('error')}", file=sys.stderr)
        return 1
    if out.get("model"):
        print(f"report: {settings.state_dir / 'reports' / (out['model'] + '.json')}")
    return 0


def cmd_validate(args, settings: Settings) -> int:
    return _run_job(settings, "validate", _user(_state(settings), args, "train"))


def cmd_train(args, settings: Settings) -> int:
    return _run_job(settings, "train", _user(_state(settings), args, "train"))


def cmd_evaluate(args, settings: Settings) -> int:
    from trainer.models import list_models

    name = args.model or next((m.name for m in list_models(settings, None)), None)
    if not name:
        print(f"no models in {settings.model_dir}", file=sys.stderr)
        return 1
    return _run_job(settings, "evaluate", _user(_state(settings), args, "train"), name)


def cmd_activate(args, settings: Settings) -> int:
    from trainer import models
    from trainer.nludata import Refused

    state = _state(settings)
    user = _user(state, args, "activate")
    try:
        models.activate(settings, state, args.model, user, args.override_reason)
    except (Refused, RuntimeError) as exc:
        print(f"refused: {exc}", file=sys.stderr)
        return 2
    return 0


def cmd_rollback(args, settings: Settings) -> int:
    from trainer import models
    from trainer.nludata import Refused

    state = _state(settings)
    user = _user(state, args, "rollback")
    try:
        models.rollback(settings, state, user)
    except (Refused, RuntimeError) as exc:
        print(f"refused: {exc}", file=sys.stderr)
        return 2
    return 0


def cmd_models(args, settings: Settings) -> int:
    from trainer import models

    live = models.live_model(settings)
    for m in models.list_models(settings, live):
        f1 = (
            "macro F1 "
            + ", ".join(f"{lang} {s['macro_f1']:.3f}" for lang, s in m.report["languages"].items())
            + (", gate passed" if m.report.get("gate", {}).get("passed") else ", gate NOT passed")
            if m.report
            else "not evaluated"
        )
        print(f"{'*' if m.live else ' '} {m.name}  {m.size_mb} MB  {f1}")
    return 0


def _new_password(args, username: str) -> str | None:
    """A new account's password: --password-stdin, $LOBBY_TRAINER_NEW_PASSWORD, or asked twice on a terminal."""
    if args.password_stdin:
        return sys.stdin.readline().rstrip("\n")
    if os.environ.get("LOBBY_TRAINER_NEW_PASSWORD"):
        return os.environ["LOBBY_TRAINER_NEW_PASSWORD"]
    if not sys.stdin.isatty():
        print("refused: give the new password with --password-stdin or $LOBBY_TRAINER_NEW_PASSWORD", file=sys.stderr)
        return None
    password = getpass.getpass(f"new password for {username}: ")
    if getpass.getpass("again: ") != password:
        print("the passwords differ; nothing changed", file=sys.stderr)
        return None
    return password


def cmd_users(args, settings: Settings) -> int:
    from trainer import account_admin, auth

    state = _state(settings)
    if args.users_command == "list":
        for u in auth.list_users(state):
            print(f"{u['username']}  {u['role']}{'  (disabled)' if u['disabled'] else ''}")
        return 0
    bootstrap = args.users_command == "add" and args.role == "admin" and not auth.active_admins(state)
    # The first admin needs nobody's permission (whoever can run this can read the database anyway);
    # every later account change needs a signed-in admin.
    by = f"{audit.cli_origin()} (first admin)" if bootstrap else _user(state, args, "manage_users")
    try:
        if args.users_command == "add":
            password = _new_password(args, args.username)
            if password is None:
                return 2
            account_admin.add_user(state, by, args.username, password, args.role)
            print(f"added {args.username} ({args.role})")
        elif args.users_command == "passwd":
            password = _new_password(args, args.username)
            if password is None:
                return 2
            n = account_admin.reset_password(state, by, args.username, password)
            print(f"password of {args.username} changed; {n} session(s) signed out")
        elif args.users_command == "disable":
            n = account_admin.disable(state, by, args.username)
            print(f"disabled {args.username}; {n} session(s) signed out")
        elif args.users_command == "enable":
            account_admin.enable(state, by, args.username)
            print(f"enabled {args.username}")
        elif args.users_command == "role":
            account_admin.change_role(state, by, args.username, args.new_role)
            print(f"{args.username} is now {args.new_role}")
        elif args.users_command == "unlock":
            account_admin.unlock(state, by, args.username)
            print(f"sign-in for {args.username} unlocked")
    except ValueError as exc:
        print(f"refused: {exc}", file=sys.stderr)
        return 2
    return 0


def _when(ts: float | None) -> str:
    return dt.datetime.fromtimestamp(ts).strftime("%Y-%m-%d %H:%M") if ts else "-"


def cmd_sessions(args, settings: Settings) -> int:
    from trainer import account_admin, sessions

    state = _state(settings)
    by = _user(state, args, "manage_users")
    if args.sessions_command == "list":
        for s in sessions.active(state, settings.accounts, args.of):
            print(
                f"#{s.id}  {s.username}  signed in {_when(s.created_at)}  last active {_when(s.last_seen)}  from {s.ip}"
            )
        return 0
    if args.of:
        print(f"signed {args.of} out of {account_admin.revoke_sessions(state, by, args.of)} session(s)")
        return 0
    if args.id is None:
        print("refused: name a session id, or --of NAME for all of a user's sessions", file=sys.stderr)
        return 2
    owner = account_admin.revoke_session(state, by, args.id)
    if owner is None:
        print(f"refused: no session {args.id}", file=sys.stderr)
        return 2
    print(f"revoked session {args.id} of {owner}")
    return 0


def cmd_tokens(args, settings: Settings) -> int:
    from trainer import account_admin, tokens

    state = _state(settings)
    by = _user(state, args, "manage_users")
    try:
        if args.tokens_command == "issue":
            token_id, token = account_admin.issue_token(state, by, args.username, args.label, args.days)
            print(f"API token #{token_id} for {args.username} (shown only now):", file=sys.stderr)
            print(token)
        elif args.tokens_command == "list":
            for t in tokens.listing(state, args.of):
                st = "usable" if t.usable else "revoked" if t.revoked_at else "expired"
                print(f"#{t.id}  {t.username}  {t.label!r}  issued {_when(t.created_at)} by {t.created_by}  "
                      f"expires {_when(t.expires_at)}  last used {_when(t.last_used)}  {st}")  # fmt: skip
        elif account_admin.revoke_token(state, by, args.id) is None:
            print(f"refused: no usable API token {args.id}", file=sys.stderr)
            return 2
        else:
            print(f"revoked API token {args.id}")
    except ValueError as exc:
        print(f"refused: {exc}", file=sys.stderr)
        return 2
    return 0


def cmd_audit(args, settings: Settings) -> int:
    state = _state(settings)
    _user(state, args, "manage_users")
    entries = [e for e in state.audit_entries(args.limit) if not args.action or e["action"] == args.action]
    if args.json:
        print(json.dumps(entries, indent=1, default=str))
        return 0
    for e in entries:
        details = json.dumps(e["details"], ensure_ascii=False)
        print(f"{_when(e['at'])}  {e['user']:16} {e['action']:24} {e.get('origin') or '':28} {details}")
    return 0


def _language(value: str) -> str:
    from trainer.language import parse_language

    try:
        return parse_language(value)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="python -m trainer",
        description=__doc__.split("\n")[0],
        epilog=__doc__.split("\n\n", 1)[1],
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument(
        "--project", help="project directory with data/, config.yml, domain.yml, models/ (default: this repo)"
    )
    p.add_argument("--tracker-url", help="SQLAlchemy URL of Rasa's tracker store (default sqlite:///$LOBBY_TRACKER_DB)")
    p.add_argument("--rasa-url", help="running Rasa server (default http://127.0.0.1:$LOBBY_RASA_PORT)")
    p.add_argument("--token", help="Rasa HTTP API token (default $LOBBY_RASA_TOKEN or var/rasa_token)")
    p.add_argument("--state-dir", help="trainer state: accounts, audit, jobs, reports (default var/trainer)")
    sub = p.add_subparsers(dest="command", required=True, metavar="COMMAND")

    s = sub.add_parser("serve", help="serve the web pages")
    s.add_argument("--host", default="127.0.0.1")
    s.add_argument("--port", type=int, default=int(os.environ.get("LOBBY_TRAINER_PORT", "8770")))
    s.set_defaults(func=cmd_serve)

    s = sub.add_parser("inbox", help="list conversations (masked), newest first")
    s.add_argument("--low-confidence", type=float, metavar="T", help="only where some message scored below T")
    s.add_argument("--from", dest="date_from", metavar="YYYY-MM-DD")
    s.add_argument("--to", dest="date_to", metavar="YYYY-MM-DD")
    s.add_argument("--channel", choices=["kiosk", "web", "other"])
    s.add_argument("--kiosk", help="kiosk id")
    s.add_argument("--intent", help="only conversations with a message predicted as this intent")
    s.add_argument(
        "--language", type=_language, metavar="CODE", help="only conversations with a message in this language (en, zh)"
    )
    s.add_argument("--fallback", action="store_true", help="only where the fallback happened")
    s.add_argument("--handoff", action="store_true", help="only where a human was asked for")
    g = s.add_mutually_exclusive_group()
    g.add_argument("--unreviewed", action="store_true")
    g.add_argument("--reviewed", action="store_true")
    s.add_argument("--limit", type=int, default=50)
    s.add_argument("--json", action="store_true", help="machine-readable output")
    s.set_defaults(func=cmd_inbox)

    s = sub.add_parser("show", help="one conversation turn by turn (masked)")
    s.add_argument("sender_id")
    s.set_defaults(func=cmd_show)

    from trainer.cli_auth import add_arguments as with_user

    s = with_user(sub.add_parser("annotate", help="add a message as a training example of an intent"))
    s.add_argument("text")
    s.add_argument("--intent", required=True)
    s.add_argument("--span", help="the words naming the service")
    s.add_argument("--service", help="service id the span refers to (a file name in data/services/)")
    s.add_argument(
        "--language",
        type=_language,
        metavar="CODE",
        help="the message's language when its words do not tell (en, zh); Chinese goes to data/nlu/zh.yml",
    )
    s.set_defaults(func=cmd_annotate)

    for name, func, text in (
        ("validate", cmd_validate, "rasa data validate on the project's data"),
        ("train", cmd_train, "validate, train and evaluate against the live model"),
    ):
        with_user(sub.add_parser(name, help=text)).set_defaults(func=func)
    s = with_user(sub.add_parser("evaluate", help="evaluate a model on the held-back test split"))
    s.add_argument("--model", help="model name (default: the newest)")
    s.set_defaults(func=cmd_evaluate)

    s = with_user(sub.add_parser("activate", help="put a model live in the running Rasa server (admin)"))
    s.add_argument("model")
    s.add_argument("--override-reason", help="activate although the evaluation gate failed, and why")
    s.set_defaults(func=cmd_activate)
    with_user(sub.add_parser("rollback", help="go back to the previous live model (admin)")).set_defaults(
        func=cmd_rollback
    )
    sub.add_parser("models", help="list trained models and their evaluation").set_defaults(func=cmd_models)

    s = sub.add_parser("users", help="trainer accounts (changes: admin)")
    us = s.add_subparsers(dest="users_command", required=True)
    a = with_user(us.add_parser("add", help="create an account (the first admin needs no sign-in)"))
    a.add_argument("username")
    a.add_argument("--role", choices=["annotator", "admin"], default="annotator")
    a.add_argument("--password-stdin", action="store_true", help="read the new password from standard input")
    a = with_user(us.add_parser("passwd", help="set an account's password (its sessions end)"))
    a.add_argument("username")
    a.add_argument("--password-stdin", action="store_true", help="read the new password from standard input")
    for name, text in (("disable", "disable an account (its sessions end)"), ("enable", "enable an account again"),
                       ("unlock", "lift a sign-in lock-out")):  # fmt: skip
        with_user(us.add_parser(name, help=text)).add_argument("username")
    a = with_user(us.add_parser("role", help="change an account's role"))
    a.add_argument("username")
    a.add_argument("new_role", choices=["annotator", "admin"])
    us.add_parser("list", help="list accounts")
    s.set_defaults(func=cmd_users)

    s = sub.add_parser("sessions", help="signed-in web sessions: list, revoke (admin)")
    ss = s.add_subparsers(dest="sessions_command", required=True)
    with_user(ss.add_parser("list", help="active sessions")).add_argument("--of", metavar="NAME", help="one user's")
    a = with_user(ss.add_parser("revoke", help="revoke a session by id, or all of a user's with --of"))
    a.add_argument("id", type=int, nargs="?")
    a.add_argument("--of", metavar="NAME", help="revoke every session of this user")
    s.set_defaults(func=cmd_sessions)

    s = sub.add_parser("tokens", help="API tokens for scripts: issue, list, revoke (admin)")
    ts = s.add_subparsers(dest="tokens_command", required=True)
    a = with_user(ts.add_parser("issue", help="issue a token for an account (printed once)"))
    a.add_argument("username")
    a.add_argument("--label", default="", help="what the token is for")
    a.add_argument("--days", type=float, help="expire after this many days (default: never)")
    with_user(ts.add_parser("list", help="tokens and their state")).add_argument("--of", metavar="NAME")
    with_user(ts.add_parser("revoke", help="revoke a token by id")).add_argument("id", type=int)
    s.set_defaults(func=cmd_tokens)

    s = with_user(sub.add_parser("audit", help="the audit log, newest first (admin)"))
    s.add_argument("--limit", type=int, default=50)
    s.add_argument("--action", help="only this action (e.g. login_failed, disable_user)")
    s.add_argument("--json", action="store_true", help="machine-readable output")
    s.set_defaults(func=cmd_audit)
    return p


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    audit.set_origin(audit.cli_origin())  # every audit entry this command writes says where it came from
    return args.func(args, _settings(args))
