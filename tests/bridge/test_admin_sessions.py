"""An administrator can end one citizen's conversation, or all of them (OWASP ASVS 5.0 7.4.5; docs/security.md,
docs/protocol.md): the conversation is ended for good (it cannot be resumed), the connection holding it gets
`error ended_by_admin` and close code 4002, every other kiosk goes on. Only the admin token may do this; without
one configured the routes do not exist."""

from __future__ import annotations

import logging
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest
from websockets.exceptions import ConnectionClosed

from avatar_bridge import kiosk_secrets
from avatar_bridge.admin_routes import AdminToken, AdminTokenError
from avatar_bridge.config import BridgeConfig
from testkit.kiosk import Kiosk

TOKEN = "admin-" + "t" * 40
SECRET = "entrance-" + "a" * 32  # the entrance kiosk's own secret; any other kiosk id is a web session
TEXT_ONLY = {"audio_in": False, "audio_out": False, "visemes": False, "gestures": False}
ROOT = Path(__file__).resolve().parents[2]


def end(server, session_id: str, token: str | None = TOKEN) -> httpx.Response:
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    return httpx.post(f"{server.http}/admin/sessions/{session_id}/end", headers=headers, timeout=30)


def end_all(server, kind: str | None = None, token: str = TOKEN) -> httpx.Response:
    return httpx.post(
        f"{server.http}/admin/sessions/end-all",
        params={"kind": kind} if kind else None,
        headers={"Authorization": f"Bearer {token}"},
        timeout=30,
    )


def closed_with(k: Kiosk) -> tuple[int, dict | None]:
    """Read until the bridge closes the connection: its close code and the last error it sent."""
    with pytest.raises(ConnectionClosed) as closed:
        while True:
            k.recv()
    errors = [m for m in k.messages if m["type"] == "error"]
    return closed.value.rcvd.code, errors[-1] if errors else None


def still_served(k: Kiosk) -> bool:
    k.send({"type": "ping", "id": "still-there"})
    return k.wait("pong", id="still-there") is not None


def wait_all_gone(server) -> None:
    """A client's close is noticed by the bridge a moment later (its pipeline stops); wait for that."""
    deadline = time.monotonic() + 30
    while httpx.get(f"{server.http}/health").json()["active_sessions"] and time.monotonic() < deadline:
        time.sleep(0.1)
    assert httpx.get(f"{server.http}/health").json()["active_sessions"] == 0


def metrics(server) -> str:
    return httpx.get(f"{server.http}/metrics").text


@pytest.fixture
def hall(make_bridge, tmp_path):
    """A bridge of its own (end-all must see only this test's connections) with an admin token file and one
    kiosk credential, so kiosks and web sessions can be told apart."""
    token_file = tmp_path / "bridge_admin_token"
    token_file.write_text(TOKEN + "\n")
    secrets = tmp_path / "kiosk-secrets.yml"
    kiosk_secrets.write(secrets, {"entrance": SECRET})
    server = make_bridge(admin_token_file=str(token_file), kiosk_secrets_file=str(secrets), max_sessions=16)
    server.token_file = token_file
    return server


def client(server) -> Kiosk:
    return Kiosk(server.url)


def test_ending_one_conversation_closes_its_kiosk_and_the_other_kiosk_goes_on(hall, caplog):
    with client(hall) as entrance, client(hall) as web:
        ended = entrance.hello("entrance", token=SECRET, capabilities=TEXT_ONLY)["session_id"]
        web.hello("web", capabilities=TEXT_ONLY)
        with caplog.at_level(logging.WARNING, logger="avatar_bridge.admin_routes"):
            answer = end(hall, ended)
        assert answer.status_code == 200 and answer.json() == {"ended": True, "closed_here": True}
        code, error = closed_with(entrance)
        assert code == 4002 and error["code"] == "ended_by_admin"
        assert still_served(web)
    audit = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING and "audit" in r.getMessage()]
    assert len(audit) == 1 and ended in audit[0] and "bridge admin token" in audit[0] and "action=end " in audit[0]
    assert TOKEN not in caplog.text
    assert 'lobby_bridge_errors_total{code="ended_by_admin"} 1' in metrics(hall)
    assert 'lobby_bridge_admin_actions_total{action="end"} 1' in metrics(hall)
    # ended for good: the kiosk reconnecting with the old id gets a fresh conversation, not the old one
    with client(hall) as again:
        session = again.hello("entrance", token=SECRET, capabilities=TEXT_ONLY, resume={"session_id": ended})
        refusal = next(m for m in again.messages if m["type"] == "error")
        assert refusal["code"] == "bad_session" and "has ended" in refusal["message"]
        assert session["reason"] == "hello" and session["session_id"] != ended


def test_a_conversation_whose_connection_already_dropped_is_ended_too(hall):
    with client(hall) as k:
        dropped = k.hello("web", capabilities=TEXT_ONLY)["session_id"]
    wait_all_gone(hall)
    # the connection is gone; the conversation could still be resumed until the inactivity timeout
    answer = end(hall, dropped)
    assert answer.status_code == 200 and answer.json() == {"ended": True, "closed_here": False}
    with client(hall) as k:
        k.hello("web", capabilities=TEXT_ONLY, resume={"session_id": dropped})
        assert next(m for m in k.messages if m["type"] == "error")["code"] == "bad_session"


def test_an_id_no_connection_holds_is_answered_the_same_way(hall):
    # whether another bridge issued it cannot be known here; it is marked ended in the shared registry anyway
    answer = end(hall, "0" * 56)
    assert answer.status_code == 200 and answer.json() == {"ended": True, "closed_here": False}


def test_end_all_of_one_kind_spares_the_other_and_end_all_closes_everything(hall):
    with client(hall) as entrance, client(hall) as web1, client(hall) as web2:
        kiosk_id = entrance.hello("entrance", token=SECRET, capabilities=TEXT_ONLY)["session_id"]
        web1.hello("web", capabilities=TEXT_ONLY)
        web2.hello("lobby", capabilities=TEXT_ONLY)
        answer = end_all(hall, kind="web")
        assert answer.status_code == 200
        assert answer.json() == {"sessions_ended": 2, "connections_closed": 2, "kind": "web"}
        for web in (web1, web2):
            code, error = closed_with(web)
            assert code == 4002 and error["code"] == "ended_by_admin"
        assert still_served(entrance)
        answer = end_all(hall)
        assert answer.status_code == 200
        assert answer.json() == {"sessions_ended": 1, "connections_closed": 1, "kind": None}  # the web ones ended
        code, error = closed_with(entrance)
        assert code == 4002 and error["code"] == "ended_by_admin"
    with client(hall) as k:
        k.hello("entrance", token=SECRET, capabilities=TEXT_ONLY, resume={"session_id": kiosk_id})
        assert next(m for m in k.messages if m["type"] == "error")["code"] == "bad_session"
    assert 'lobby_bridge_admin_actions_total{action="end_all"} 2' in metrics(hall)


def test_end_all_also_ends_conversations_that_left_this_bridge_a_moment_ago(hall):
    with client(hall) as k:
        left = k.hello("web", capabilities=TEXT_ONLY)["session_id"]
    wait_all_gone(hall)
    answer = end_all(hall)
    assert answer.status_code == 200
    assert answer.json() == {"sessions_ended": 1, "connections_closed": 0, "kind": None}
    with client(hall) as k:
        k.hello("web", capabilities=TEXT_ONLY, resume={"session_id": left})
        assert next(m for m in k.messages if m["type"] == "error")["code"] == "bad_session"


def test_a_wrong_or_missing_token_is_refused_logged_and_counted_and_nothing_ends(hall, caplog):
    with client(hall) as k:
        session_id = k.hello("web", capabilities=TEXT_ONLY)["session_id"]
        with caplog.at_level(logging.WARNING, logger="avatar_bridge.admin_routes"):
            refused = [
                end(hall, session_id, token=None),
                end(hall, session_id, token="not-the-" + "x" * 30),
                httpx.post(f"{hall.http}/admin/sessions/{session_id}/end", headers={"Authorization": f"Basic {TOKEN}"}),
                end_all(hall, token=TOKEN + "x"),
                end(hall, "not-even-an-id", token=None),  # the token is checked before anything else
            ]
        assert [r.status_code for r in refused] == [401] * 5
        assert refused[0].headers["www-authenticate"] == "Bearer"
        assert still_served(k)
    lines = [r.getMessage() for r in caplog.records if "refused (401)" in r.getMessage()]
    assert len(lines) == 5 and all("127.0.0.1" in line for line in lines)
    assert TOKEN not in caplog.text and "x" * 30 not in caplog.text
    assert "lobby_bridge_admin_refused_total 5" in metrics(hall)
    with client(hall) as k:  # the conversation was not ended
        assert k.hello("web", capabilities=TEXT_ONLY, resume={"session_id": session_id})["reason"] == "resume"


def test_a_malformed_session_id_or_kind_is_422(hall):
    for bad in ("abc", "0" * 55, "0" * 57, "A" * 56, "g" * 56):
        answer = end(hall, bad)
        assert answer.status_code == 422, bad
        assert "session id" in answer.json()["detail"]
    assert end_all(hall, kind="robots").status_code == 422


def test_a_rotated_admin_token_file_counts_at_once(hall):
    new = "rotated-" + "n" * 40
    hall.token_file.write_text(new)
    assert end(hall, "1" * 56).status_code == 401
    assert end(hall, "1" * 56, token=new).status_code == 200


def test_without_an_admin_token_the_routes_do_not_exist(bridge):
    assert end(bridge, "0" * 56).status_code == 404
    assert end_all(bridge).status_code == 404
    assert "lobby_bridge_admin" not in metrics(bridge)


def test_a_weak_or_doubly_given_admin_token_stops_the_start(tmp_path):
    with pytest.raises(AdminTokenError, match="16 characters"):
        AdminToken.from_config(BridgeConfig(admin_token="short"))
    (tmp_path / "token").write_text("two words " + "w" * 20)
    with pytest.raises(AdminTokenError, match="one word"):
        AdminToken.from_config(BridgeConfig(admin_token_file=str(tmp_path / "token")))
    with pytest.raises(AdminTokenError, match="No such file"):
        AdminToken.from_config(BridgeConfig(admin_token_file=str(tmp_path / "missing")))
    with pytest.raises(AdminTokenError, match="not both"):
        AdminToken.from_config(BridgeConfig(admin_token=TOKEN, admin_token_file=str(tmp_path / "token")))
    assert AdminToken.from_config(BridgeConfig()) is None


def cli(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "avatar_bridge.admin", *args], capture_output=True, text=True, cwd=ROOT, timeout=60
    )


def test_the_command_line_ends_a_conversation_and_says_clearly_what_went_wrong(hall, tmp_path):
    with client(hall) as k:
        session_id = k.hello("web", capabilities=TEXT_ONLY)["session_id"]
        done = cli("end", session_id, "--bridge", hall.http, "--token-file", str(hall.token_file))
        assert done.returncode == 0, done.stderr
        assert "conversation ended" in done.stdout and "connection here was closed" in done.stdout
        assert closed_with(k)[0] == 4002
    with client(hall) as k:
        k.hello("web", capabilities=TEXT_ONLY)
        done = cli("end-all", "--kind", "web", "--bridge", hall.http, "--token-file", str(hall.token_file))
        assert done.returncode == 0 and "1 connection(s) closed" in done.stdout, done.stdout + done.stderr
        assert closed_with(k)[0] == 4002
    wrong = tmp_path / "wrong"
    wrong.write_text("w" * 32)
    refused = cli("end-all", "--bridge", hall.http, "--token-file", str(wrong))
    assert refused.returncode == 1 and "401" in refused.stderr
    down = cli("end-all", "--bridge", "http://127.0.0.1:9", "--token-file", str(hall.token_file))
    assert down.returncode == 1 and "cannot reach the bridge" in down.stderr
    malformed = cli("end", "nonsense", "--token-file", str(hall.token_file))
    assert malformed.returncode == 2 and "not a session id" in malformed.stderr
    assert "end-all" in cli("--help").stdout


def test_with_a_shared_registry_an_id_ended_on_one_bridge_resumes_on_none(make_bridge):
    from cluster.engines import Redis
    from testkit.servers import free_port

    redis = Redis(free_port()).start()  # its own folder in /tmp: the redis account cannot enter tmp_path
    try:
        shared = {"redis_url": redis.url, "session_secret": "s" * 32, "admin_token": TOKEN}
        first, second = make_bridge(**shared), make_bridge(**shared)
        with client(second) as k:
            session_id = k.hello("web", capabilities=TEXT_ONLY)["session_id"]
            # asked on the other bridge: ended in the shared registry; the connection is not on that bridge
            assert end(first, session_id).json() == {"ended": True, "closed_here": False}
            assert still_served(k)  # documented: only its own bridge can close it (ask every bridge)
        for bridge in (first, second):
            with client(bridge) as k:
                k.hello("web", capabilities=TEXT_ONLY, resume={"session_id": session_id})
                refusal = next(m for m in k.messages if m["type"] == "error")
                assert refusal["code"] == "bad_session" and "has ended" in refusal["message"]
    finally:
        redis.stop()
