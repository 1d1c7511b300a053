"""`python -m avatar_bridge.admin`: end one citizen's conversation, or all of them, on running bridges.

  end SESSION_ID     the conversation is ended for good (no bridge resumes it); a bridge that holds its
                     connection sends it `error ended_by_admin` and closes it (code 4002)
  end-all            every conversation open on the bridge (--kind web or kiosk: only those)

The token is the bridge's admin token (docs/security.md): --token-file, else LOBBY_BRIDGE_ADMIN_TOKEN_FILE,
else LOBBY_BRIDGE_ADMIN_TOKEN, else $LOBBY_VAR/bridge_admin_token (default var/; the file `make run` creates).
With several bridges (docs/ARCHITECTURE.md, "Scaling out") give --bridge once per bridge, on their private
addresses: the registry is shared, but only the bridge holding a connection can close it.
Exit status: 0 done everywhere, 1 a bridge refused or failed, 2 a usage error.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Mapping
from pathlib import Path

import httpx

from avatar_bridge.admin_routes import KINDS, SESSION_ID, AdminTokenError, check_token, read_token_file

DEFAULT_VAR = Path(__file__).resolve().parent.parent / "var"
TIMEOUT_S = 10.0


def admin_token(token_file: Path | None, env: Mapping[str, str] = os.environ) -> str:
    """The token from the same places the bridge reads it; AdminTokenError says where it looked."""
    if token_file is None and env.get("LOBBY_BRIDGE_ADMIN_TOKEN_FILE"):
        token_file = Path(env["LOBBY_BRIDGE_ADMIN_TOKEN_FILE"])
    if token_file is not None:
        return read_token_file(token_file)
    if env.get("LOBBY_BRIDGE_ADMIN_TOKEN"):
        return check_token(env["LOBBY_BRIDGE_ADMIN_TOKEN"], "LOBBY_BRIDGE_ADMIN_TOKEN")
    made = Path(env.get("LOBBY_VAR") or DEFAULT_VAR) / "bridge_admin_token"  # where `make run` puts it
    if made.exists():
        return read_token_file(made)
    raise AdminTokenError(
        f"no admin token: give --token-file, set LOBBY_BRIDGE_ADMIN_TOKEN_FILE or LOBBY_BRIDGE_ADMIN_TOKEN, "
        f"or create {made}"
    )


def request(bridge: str, path: str, token: str, params: dict | None = None) -> tuple[bool, str]:
    """One admin call: (succeeded, the line to print)."""
    url = bridge.rstrip("/") + path
    try:
        response = httpx.post(url, params=params, headers={"Authorization": f"Bearer {token}"}, timeout=TIMEOUT_S)
    except httpx.HTTPError as exc:
        return False, f"{bridge}: cannot reach the bridge ({exc.__class__.__name__}: {exc or 'no answer'})"
    try:
        body = response.json()
    except ValueError:
        body = {}
    if response.status_code == 401:
        return False, f"{bridge}: refused (401): the admin token is not this bridge's"
    if response.status_code == 404:
        return False, f"{bridge}: no admin routes (404): the bridge runs without an admin token"
    if response.status_code == 200 and "closed_here" in body:
        closed = "its connection here was closed" if body["closed_here"] else "no connection here held it"
        return True, f"{bridge}: conversation ended; {closed}"
    if response.status_code == 200 and "connections_closed" in body:
        return True, (
            f"{bridge}: {body['sessions_ended']} conversation(s) ended, {body['connections_closed']} connection(s) "
            "closed"
        )
    return False, f"{bridge}: failed ({response.status_code}): {body.get('detail') or response.text[:200]}"


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(
        prog="python -m avatar_bridge.admin", description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    p.add_argument("command", choices=("end", "end-all"))
    p.add_argument("session_id", nargs="?", help="for `end`: the conversation's session id (as the bridge logs it)")
    port = os.environ.get("LOBBY_BRIDGE_PORT") or "8765"
    p.add_argument(
        "--bridge",
        action="append",
        metavar="URL",
        help=f"a bridge's base URL; repeat for several (default: http://127.0.0.1:{port})",
    )
    p.add_argument("--kind", choices=KINDS, help="for `end-all`: only web sessions, or only kiosks")
    p.add_argument("--token-file", type=Path, metavar="FILE", help="file with the admin token (see above)")
    args = p.parse_args(argv)
    if args.command == "end" and not args.session_id:
        p.error("end needs a SESSION_ID")
    if args.command == "end" and not SESSION_ID.fullmatch(args.session_id):
        p.error(f"{args.session_id!r} is not a session id (lowercase hex, as the bridge logs it)")
    if args.command == "end-all" and args.session_id:
        p.error("end-all takes no SESSION_ID (use --kind to narrow it)")
    if args.command == "end" and args.kind:
        p.error("--kind is for end-all")
    try:
        token = admin_token(args.token_file)
    except AdminTokenError as exc:
        p.error(str(exc))
    if args.command == "end":
        path, params = f"/admin/sessions/{args.session_id}/end", None
    else:
        path, params = "/admin/sessions/end-all", ({"kind": args.kind} if args.kind else None)
    ok = True
    for bridge in args.bridge or [f"http://127.0.0.1:{port}"]:
        done, line = request(bridge, path, token, params)
        print(line, file=sys.stdout if done else sys.stderr)
        ok = ok and done
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
