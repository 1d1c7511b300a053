"""Trainer accounts as an operator relies on them: sessions live on the server (sign-out, revocation,
disabling and password changes end them on the very next request; idle and absolute timeouts; a
per-user limit), passwords follow the policy, repeated failures lock a name or an address and the
lock lifts after its back-off, the command line needs a password or an API token, and every admin
action lands in the append-only audit log without a secret in it.

No model is trained here: the trainer runs on an empty project copy, so these tests take seconds.
Time passing is simulated by moving the stored timestamps back ("the clock moves on"), never by
sleeping.
"""

from __future__ import annotations

import argparse
import base64
import hashlib
import json
import re
import sqlite3
from pathlib import Path

import httpx
import pytest

from testkit.trainer import PASSWORDS, TrainerClient, TrainerServer, add_accounts, cli, flashes, settings_for
from trainer.auth import authenticate_admin_cli
from trainer.config import Settings
from trainer.policy import AccountPolicy

POLICY = AccountPolicy(idle_minutes=30, absolute_hours=12, max_sessions=2, lockout_failures=3, lockout_seconds=60)


def _settings(project: Path, **policy) -> Settings:
    project.mkdir(parents=True, exist_ok=True)
    settings = settings_for(project, accounts=AccountPolicy(**{**POLICY.__dict__, **policy}))
    add_accounts(settings)
    return settings


@pytest.fixture(scope="module")
def accounts(tmp_path_factory):
    """A trainer with ada (admin) and ann (annotator), three failures lock a name, two sessions per user."""
    settings = _settings(tmp_path_factory.mktemp("accounts") / "project", ip_failures=1000)
    server = TrainerServer(settings).start()
    yield server
    server.stop()


def db(server: TrainerServer) -> sqlite3.Connection:
    return sqlite3.connect(server.settings.state_dir / "trainer.db")


def clock_moves_on(server: TrainerServer, seconds: float) -> None:
    """Simulate `seconds` passing for sessions and sign-in locks (every stored time moves back)."""
    with db(server) as conn:
        conn.execute("UPDATE sessions SET created_at = created_at - ?, last_seen = last_seen - ?", (seconds, seconds))
        conn.execute(
            "UPDATE sign_in_failures SET last_failure = last_failure - ?, "
            "locked_until = CASE WHEN locked_until > 0 THEN locked_until - ? ELSE 0 END",
            (seconds, seconds),
        )


def attempt(server: TrainerServer, name: str, password: str) -> tuple[TrainerClient, httpx.Response]:
    """One sign-in through the form, from a fresh browser."""
    client = server.client()
    client.get("/login")
    return client, client.post("/login", {"username": name, "password": password})


def signed_in(server: TrainerServer, name: str, password: str) -> TrainerClient:
    client, r = attempt(server, name, password)
    assert r.status_code == 200 and f"{name} (" in r.text, r.text[:300]
    client.get("/audit")  # the page's CSRF token for later forms
    return client


def is_signed_in(client: TrainerClient) -> bool:
    r = client.get("/audit")
    return r.status_code == 200 and r.url.path == "/audit"


def new_user(server: TrainerServer, name: str, password: str, role: str = "annotator") -> None:
    r = server.client("ada").post("/users", {"username": name, "password": password, "role": role})
    assert f"Added {name} ({role})." in flashes(r.text), flashes(r.text)


def session_ids(server: TrainerServer, name: str) -> list[int]:
    with db(server) as conn:
        return [r[0] for r in conn.execute("SELECT id FROM sessions WHERE username = ? ORDER BY id", (name,))]


def audit_rows(server: TrainerServer, action: str) -> list[dict]:
    with db(server) as conn:
        rows = conn.execute("SELECT user, details, origin FROM audit WHERE action = ? ORDER BY id", (action,))
        return [{"user": u, "details": json.loads(d), "origin": o} for u, d, o in rows]


# ---- sessions --------------------------------------------------------------------------------------------
def test_the_cookie_holds_only_a_random_id_whose_hash_the_server_keeps(accounts):
    client = signed_in(accounts, "ann", PASSWORDS["ann"])
    cookie = client.http.cookies["lobby_trainer"]
    signed = cookie.split(".")[0]  # Starlette's cookie: base64(JSON).timestamp.signature
    sid = json.loads(base64.b64decode(signed + "=" * (-len(signed) % 4)))["sid"]
    assert len(base64.urlsafe_b64decode(sid + "=" * (-len(sid) % 4))) * 8 >= 128
    with db(accounts) as conn:
        stored = [r[0] for r in conn.execute("SELECT token_hash FROM sessions WHERE username = 'ann'")]
    assert hashlib.sha256(sid.encode()).hexdigest() in stored and sid not in stored


def test_the_session_cookie_is_httponly_strict_and_secure_over_https(accounts):
    plain = httpx.get(f"{accounts.url}/login")
    over_tls = httpx.get(f"{accounts.url}/login", headers={"x-forwarded-proto": "https"})  # as a TLS proxy says
    for r in (plain, over_tls):
        assert "httponly" in r.headers["set-cookie"].lower() and "samesite=strict" in r.headers["set-cookie"].lower()
    assert "; secure" not in plain.headers["set-cookie"].lower()
    assert "; secure" in over_tls.headers["set-cookie"].lower()


def test_signing_in_starts_a_new_session_and_signing_out_ends_it_on_the_server(accounts):
    client = signed_in(accounts, "ann", PASSWORDS["ann"])
    stolen = dict(client.http.cookies)
    before = set(session_ids(accounts, "ann"))
    attempt(accounts, "ann", PASSWORDS["ann"])
    assert set(session_ids(accounts, "ann")) - before  # a new id at each sign-in, never the old one reused
    client.post("/logout")
    replay = accounts.client()
    replay.http.cookies.update(stolen)
    assert not is_signed_in(replay)


def test_an_admin_revokes_a_session_and_it_ends_on_the_next_request(accounts):
    new_user(accounts, "rev", "revocation-test-phrase")
    rev = signed_in(accounts, "rev", "revocation-test-phrase")
    assert is_signed_in(rev)
    ada = accounts.client("ada")
    page = ada.get("/users").text
    [sid] = session_ids(accounts, "rev")
    assert f'action="/sessions/{sid}/revoke"' in page
    assert f"Session {sid} of rev revoked." in flashes(ada.post(f"/sessions/{sid}/revoke").text)
    assert not is_signed_in(rev)
    assert audit_rows(accounts, "revoke_session")[-1]["details"] == {"username": "rev", "session": sid}


def test_the_command_line_lists_and_revokes_a_users_sessions(accounts):
    new_user(accounts, "clirev", "command-line-revocation")
    browser = signed_in(accounts, "clirev", "command-line-revocation")
    listed = cli(accounts.settings, "sessions", "list", "--of", "clirev", "--user", "ada")
    assert listed.returncode == 0 and re.search(r"#\d+ +clirev +signed in", listed.stdout), listed.stderr
    revoked = cli(accounts.settings, "sessions", "revoke", "--of", "clirev", "--user", "ada")
    assert revoked.returncode == 0 and "signed clirev out of 1 session(s)" in revoked.stdout
    assert not is_signed_in(browser)


def test_disabling_a_user_or_changing_their_password_signs_them_out(accounts):
    new_user(accounts, "dis", "disable-me-for-a-moment")
    ada = accounts.client("ada")
    dis = signed_in(accounts, "dis", "disable-me-for-a-moment")
    assert "Disabled dis; 1 session(s) signed out." in flashes(ada.post("/users/dis/disable").text)
    assert not is_signed_in(dis)
    _, refused = attempt(accounts, "dis", "disable-me-for-a-moment")
    assert refused.status_code == 401 and "Wrong user name or password." in refused.text  # nothing more revealed
    ada.post("/users/dis/enable")
    dis = signed_in(accounts, "dis", "disable-me-for-a-moment")
    r = ada.post("/users/dis/password", {"password": "a-brand-new-passphrase"})
    assert "Password of dis changed; 1 session(s) signed out." in flashes(r.text)
    assert not is_signed_in(dis)
    assert attempt(accounts, "dis", "disable-me-for-a-moment")[1].status_code == 401
    assert is_signed_in(signed_in(accounts, "dis", "a-brand-new-passphrase"))


def test_a_trainer_changes_their_own_password_and_their_other_sessions_end(accounts):
    new_user(accounts, "self", "my-first-passphrase")
    laptop, office = (
        signed_in(accounts, "self", "my-first-passphrase"),
        signed_in(accounts, "self", "my-first-passphrase"),
    )
    assert "(this browser)" in laptop.get("/account").text
    wrong = {"current": "not-my-passphrase", "password": "my-second-passphrase", "again": "my-second-passphrase"}
    assert flashes(laptop.post("/account/password", wrong).text)[0].startswith("Not changed: the current password")
    right = {**wrong, "current": "my-first-passphrase"}
    assert "Password changed; 1 other session(s) signed out." in flashes(laptop.post("/account/password", right).text)
    assert is_signed_in(laptop) and not is_signed_in(office)
    assert is_signed_in(signed_in(accounts, "self", "my-second-passphrase"))


def test_the_last_admin_cannot_be_disabled_or_demoted(accounts):
    ada = accounts.client("ada")
    assert "Not changed: ada is the last enabled admin; make another admin first" in flashes(
        ada.post("/users/ada/disable").text
    )
    assert "Not changed: ada is the last enabled admin" in " ".join(
        flashes(ada.post("/users/ada/role", {"role": "annotator"}).text)
    )
    assert is_signed_in(ada)


def test_an_idle_session_and_one_past_its_absolute_lifetime_end(accounts):
    new_user(accounts, "idle", "sleepy-browser-phrase")
    idle = signed_in(accounts, "idle", "sleepy-browser-phrase")
    clock_moves_on(accounts, POLICY.idle_seconds - 60)
    assert is_signed_in(idle)  # used again just before the idle limit: still signed in, and active again
    clock_moves_on(accounts, POLICY.idle_seconds + 1)
    assert not is_signed_in(idle)

    busy = signed_in(accounts, "idle", "sleepy-browser-phrase")
    with db(accounts) as conn:  # active all day long, but signed in longer ago than the absolute lifetime
        conn.execute(
            "UPDATE sessions SET created_at = created_at - ? WHERE username = 'idle'", (POLICY.absolute_seconds,)
        )
    assert not is_signed_in(busy)


def test_a_sign_in_beyond_the_session_limit_ends_the_oldest_session(accounts):
    new_user(accounts, "many", "several-browsers-phrase")
    first, second, third = (signed_in(accounts, "many", "several-browsers-phrase") for _ in range(3))
    assert len(session_ids(accounts, "many")) == POLICY.max_sessions == 2
    assert not is_signed_in(first)
    assert is_signed_in(second) and is_signed_in(third)
    assert audit_rows(accounts, "sessions_over_limit_revoked")[-1]["user"] == "many"


# ---- passwords and lock-out ------------------------------------------------------------------------------
def test_short_common_and_name_containing_passwords_are_refused_long_ones_accepted(accounts):
    ada = accounts.client("ada")
    for password, reason in (
        ("elevenchars", "passwords need at least 12 characters"),
        ("password1234", "that password is on the list of commonly used passwords"),
        ("Qwerty123456!", "that password is on the list of commonly used passwords"),
        ("weakling-weakling", "the password must not contain the user name"),
    ):
        r = ada.post("/users", {"username": "weakling", "password": password, "role": "annotator"})
        assert any(m.startswith(f"Not added: {reason}") for m in flashes(r.text)), (password, flashes(r.text))
    long_one = "a sentence of well over sixty-four characters is a fine password for a trainer to type"
    new_user(accounts, "weakling", long_one)
    assert is_signed_in(signed_in(accounts, "weakling", long_one))
    result = cli(
        accounts.settings, "users", "passwd", "weakling", "--password-stdin", "--user", "ada", stdin="iloveyou123456\n"
    )
    assert (
        result.returncode == 2 and "refused: that password is on the list of commonly used passwords" in result.stderr
    )


def test_repeated_failures_lock_a_name_known_or_not_and_the_lock_lifts_after_the_back_off(accounts):
    new_user(accounts, "lock", "shut-out-for-a-while")
    for name in ("lock", "nobody-of-that-name"):
        answers = [attempt(accounts, name, "not-the-password")[1] for _ in range(POLICY.lockout_failures)]
        assert [r.status_code for r in answers] == [401, 401, 429]  # the same for a real and an unknown name
        assert (
            "Too many failed sign-ins for this name or from this computer. Try again in 1 minute." in answers[-1].text
        )
    _, right = attempt(accounts, "lock", "shut-out-for-a-while")
    assert right.status_code == 429  # while locked, even the right password is not checked
    assert is_signed_in(signed_in(accounts, "ann", PASSWORDS["ann"]))  # other names are not affected

    clock_moves_on(accounts, POLICY.lockout_seconds + 1)
    _, wrong_again = attempt(accounts, "lock", "still-not-the-password")
    assert wrong_again.status_code == 429 and "Try again in 2 minutes." in wrong_again.text  # the back-off doubles
    clock_moves_on(accounts, 2 * POLICY.lockout_seconds + 1)
    assert is_signed_in(signed_in(accounts, "lock", "shut-out-for-a-while"))
    assert [r["details"].get("locked_seconds") for r in audit_rows(accounts, "login_failed") if r["user"] == "lock"][
        -2:
    ] == [60, 120]


def test_an_admin_can_lift_a_lock(accounts):
    new_user(accounts, "unl", "unlock-me-please-now")
    for _ in range(POLICY.lockout_failures):
        attempt(accounts, "unl", "wrong-guess-again")
    assert attempt(accounts, "unl", "unlock-me-please-now")[1].status_code == 429
    result = cli(accounts.settings, "users", "unlock", "unl", "--user", "ada")
    assert result.returncode == 0 and "sign-in for unl unlocked" in result.stdout
    assert is_signed_in(signed_in(accounts, "unl", "unlock-me-please-now"))


def test_many_failures_from_one_address_lock_that_address_whatever_the_names(tmp_path):
    settings = _settings(tmp_path / "project", lockout_failures=100, ip_failures=4)
    server = TrainerServer(settings).start()
    try:
        codes = [attempt(server, f"guess{i}", "spray-password-1")[1].status_code for i in range(4)]
        assert codes == [401, 401, 401, 429]
        _, admin = attempt(server, "ada", PASSWORDS["ada"])
        assert admin.status_code == 429 and "from this computer" in admin.text
    finally:
        server.stop()


# ---- the command line ------------------------------------------------------------------------------------
def test_command_line_changes_need_a_password_or_a_token(accounts, tmp_path):
    settings = accounts.settings
    no_password = cli(settings, "users", "disable", "ann", "--user", "ada", env={"LOBBY_TRAINER_PASSWORD": ""})
    assert no_password.returncode != 0 and "this command needs the password of ada" in no_password.stderr
    wrong = cli(settings, "users", "disable", "ann", "--user", "ada", env={"LOBBY_TRAINER_PASSWORD": "guessing-it"})
    assert wrong.returncode != 0 and "error: wrong user name or password" in wrong.stderr
    no_user = cli(settings, "annotate", "hello", "--intent", "greet")
    assert no_user.returncode != 0 and "say who you are with --user NAME" in no_user.stderr
    assert is_signed_in(signed_in(accounts, "ann", PASSWORDS["ann"]))  # ann was never disabled

    password_file = tmp_path / "ada.pw"
    password_file.write_text(PASSWORDS["ada"] + "\n")
    listed = cli(settings, "tokens", "list", "--user", "ada", "--password-file", str(password_file),
                 env={"LOBBY_TRAINER_PASSWORD": ""})  # fmt: skip
    assert listed.returncode == 0, listed.stderr


def test_api_tokens_are_issued_listed_revoked_and_act_with_their_accounts_role(accounts, tmp_path):
    settings = accounts.settings
    issued = cli(settings, "tokens", "issue", "ann", "--label", "nightly", "--user", "ada")
    assert issued.returncode == 0, issued.stderr
    token = issued.stdout.strip()
    token_file = tmp_path / "ann.token"
    token_file.write_text(token + "\n")
    as_ann = cli(settings, "audit", "--api-token-file", str(token_file), env={"LOBBY_TRAINER_PASSWORD": ""})
    assert as_ann.returncode != 0 and "refused: Only an admin may manage accounts." in as_ann.stderr
    assert "You are signed in as ann (annotator)" in as_ann.stderr
    listed = cli(settings, "tokens", "list", "--user", "ada").stdout
    [token_id] = re.findall(r"#(\d+) +ann +'nightly'.* usable", listed)
    with db(accounts) as conn:
        stored = [r[0] for r in conn.execute("SELECT token_hash FROM api_tokens")]
    assert hashlib.sha256(token.encode()).hexdigest() in stored and token not in stored

    r = accounts.client("ada").post(f"/tokens/{token_id}/revoke")
    assert f"API token {token_id} of ann revoked." in flashes(r.text)
    refused = cli(settings, "annotate", "hi", "--intent", "greet", env={"LOBBY_TRAINER_API_TOKEN": token})
    assert refused.returncode != 0 and "that API token is not valid" in refused.stderr


def test_other_tools_authenticate_an_admin_with_one_call(accounts, tmp_path, monkeypatch):
    monkeypatch.delenv("LOBBY_TRAINER_PASSWORD", raising=False)
    monkeypatch.delenv("LOBBY_TRAINER_API_TOKEN", raising=False)
    state_dir = str(accounts.settings.state_dir)
    for name in ("ada", "ann"):
        (tmp_path / name).write_text(PASSWORDS[name])
    ok = argparse.Namespace(user="ada", password_file=str(tmp_path / "ada"), api_token_file=None, state_dir=state_dir)
    assert authenticate_admin_cli(ok) == "ada"
    annotator = argparse.Namespace(user="ann", password_file=str(tmp_path / "ann"), api_token_file=None,
                                   state_dir=state_dir)  # fmt: skip
    with pytest.raises(SystemExit, match=r"only an admin may do this. You are signed in as ann \(annotator\)"):
        authenticate_admin_cli(annotator)


# ---- the audit log ---------------------------------------------------------------------------------------
def test_admin_actions_are_audited_with_origin_and_never_a_secret(accounts):
    ada = accounts.client("ada")
    new_user(accounts, "aud", "audited-account-phrase")
    ada.post("/users/aud/role", {"role": "admin"})
    ada.post("/users/aud/role", {"role": "annotator"})
    r = ada.post("/users/aud/token", {"label": "web-issued"})
    web_token = re.search(r"<code>(lgt_[^<]+)</code>", r.text).group(1)
    cli(accounts.settings, "users", "disable", "aud", "--user", "ada")

    page = ada.get("/audit").text
    for action in ("add_user", "change_role", "issue_api_token", "disable_user", "login_failed"):
        assert f"<td>{action}</td>" in page, action
    [web_add] = [r for r in audit_rows(accounts, "add_user") if r["details"].get("username") == "aud"]
    assert web_add["user"] == "ada" and web_add["origin"] == "web 127.0.0.1"
    [cli_disable] = [r for r in audit_rows(accounts, "disable_user") if r["details"]["username"] == "aud"]
    assert cli_disable["user"] == "ada" and cli_disable["origin"].startswith("cli ")
    shown = cli(accounts.settings, "audit", "--action", "disable_user", "--user", "ada")
    assert shown.returncode == 0 and "disable_user" in shown.stdout and "aud" in shown.stdout

    raw = b"".join(p.read_bytes() for p in accounts.settings.state_dir.glob("trainer.db*"))  # with the WAL
    for secret in (*PASSWORDS.values(), "audited-account-phrase", "a-brand-new-passphrase", web_token):
        assert secret.encode() not in raw


def test_the_audit_log_cannot_be_changed_or_deleted(accounts):
    with db(accounts) as conn:
        for statement in ("UPDATE audit SET user = 'someone-else'", "DELETE FROM audit"):
            with pytest.raises(sqlite3.DatabaseError, match="the audit log is append-only"):
                conn.execute(statement)
    assert audit_rows(accounts, "add_user")


def test_the_audit_page_lists_the_newest_entry_first_with_who_what_and_where(accounts):
    ada = accounts.client("ada")
    ada.post("/users/ann/unlock")
    first_row = re.search(r"<tr><td>[^<]*</td><td>([^<]*)</td><td>([^<]*)</td><td>([^<]*)</td>", ada.get("/audit").text)
    assert first_row.groups() == ("ada", "unlock_sign_in", "web 127.0.0.1")
