"""Kiosks and web citizens are told apart (issue 14, docs/security.md): pages from other sites cannot open a
websocket, each kiosk proves its id with its own secret (rotated without a restart), and anonymous web sessions
have their own limits, answered with documented error codes while every other session goes on."""

from __future__ import annotations

import time

import httpx
import pytest
from websockets.exceptions import ConnectionClosed, InvalidStatus

from avatar_bridge import kiosk_secrets
from testkit.kiosk import Kiosk

TEXT_ONLY = {"audio_in": False, "audio_out": False, "visemes": False, "gestures": False}
CITY = "https://city.example.gov"  # the site that embeds the chat widget
SECRET_A, SECRET_B = "entrance-" + "a" * 32, "floor2-" + "b" * 32


def client(server, origin: str | None = None, address: str | None = None) -> Kiosk:
    """A client as a browser page on `origin` would open it, seen by the bridge as coming from `address`
    (the X-Forwarded-For a trusted proxy on the loopback adds)."""
    return Kiosk(server.url, origin=origin, headers={"X-Forwarded-For": address} if address else None)


def close_code(k: Kiosk) -> int:
    """Read until the bridge closes the connection; its close code."""
    with pytest.raises(ConnectionClosed) as closed:
        while True:
            k.recv()
    return closed.value.rcvd.code


def health(server) -> dict:
    return httpx.get(f"{server.http}/health").json()


def wait_web_sessions(server, n: int) -> None:
    """A closed session's slot is free once its pipeline has stopped (a moment after the close)."""
    deadline = time.monotonic() + 30
    while health(server)["web_sessions"] != n and time.monotonic() < deadline:
        time.sleep(0.1)
    assert health(server)["web_sessions"] == n


@pytest.fixture(scope="module")
def secrets_file(tmp_path_factory):
    path = tmp_path_factory.mktemp("access") / "kiosk-secrets.yml"
    kiosk_secrets.write(path, {"entrance": SECRET_A, "floor2": SECRET_B})
    return path


@pytest.fixture(scope="module")
def hall(make_bridge, secrets_file):
    """A bridge with kiosk credentials, the city's site allowed, and small web limits."""
    return make_bridge(
        kiosk_secrets_file=str(secrets_file),
        allowed_origins=CITY,
        web_sessions_per_address=2,
        web_turns_per_minute=3,
        max_sessions=32,  # connections in all: not what these tests are about
    )


def test_a_page_from_a_foreign_site_is_refused_before_the_websocket_opens(hall):
    with pytest.raises(InvalidStatus) as refused, client(hall, origin="https://evil.example"):
        pass
    assert refused.value.response.status_code == 403
    assert "lobby_bridge_origin_refused_total 1" in httpx.get(f"{hall.http}/metrics").text


def test_the_city_site_and_the_bridge_s_own_pages_get_web_sessions(hall):
    with client(hall, origin=CITY, address="192.0.2.10") as widget:
        session = widget.hello("web", capabilities=TEXT_ONLY)
        assert session["kiosk_id"] == "web"
        assert health(hall)["web_sessions"] == 1
        assert widget.turn("how do I apply for a passport?")["bot"]["card"]["service_id"] == "passport_travel_permit"
    own_page = f"http://127.0.0.1:{hall.port}"  # /lobby, served by the bridge itself
    with client(hall, origin=own_page, address="192.0.2.11") as lobby:
        assert lobby.hello("lobby", capabilities=TEXT_ONLY)["reason"] == "hello"


def test_a_kiosk_proves_its_id_with_its_own_secret_only(hall):
    with client(hall) as entrance:
        assert entrance.hello("entrance", token=SECRET_A)["kiosk_id"] == "entrance"
        assert health(hall)["web_sessions"] == 0  # a kiosk is no web session
        # kiosk A's secret does not open kiosk B, and nobody claims a kiosk id without one
        for kiosk_id, token in [("floor2", SECRET_A), ("entrance", None), ("floor2", "guess")]:
            with client(hall, origin=CITY, address="192.0.2.20") as impostor:
                hello = {"type": "hello", "protocol": "1", "kiosk_id": kiosk_id}
                impostor.send(hello | ({"token": token} if token else {}))
                assert impostor.wait("error")["code"] == "bad_token"
                assert close_code(impostor) == 4001
        assert entrance.turn("where is the toilet?")["bot"]["text"]  # the real kiosk goes on


def test_a_rotated_secret_takes_effect_without_a_restart(hall, secrets_file):
    with client(hall) as before:
        assert before.hello("floor2", token=SECRET_B)["kiosk_id"] == "floor2"
        new = kiosk_secrets.rotate(secrets_file, "floor2")
        # the connection opened with the old secret is cut at its next message
        before.send({"type": "text", "text": "where is the toilet?"})
        assert before.wait("error")["code"] == "bad_token"
        assert close_code(before) == 4001
    with client(hall) as old:
        old.send({"type": "hello", "protocol": "1", "kiosk_id": "floor2", "token": SECRET_B})
        assert old.wait("error")["code"] == "bad_token"
    with client(hall) as rotated:
        assert rotated.hello("floor2", token=new)["kiosk_id"] == "floor2"
        assert rotated.turn("where is the toilet?")["bot"]["text"]


def test_sessions_from_one_address_are_limited_while_others_go_on(hall):
    with (
        client(hall, origin=CITY, address="198.51.100.7") as first,
        client(hall, origin=CITY, address="198.51.100.7") as second,
    ):
        first.hello("web", capabilities=TEXT_ONLY)
        second.hello("web", capabilities=TEXT_ONLY)
        with client(hall, origin=CITY, address="198.51.100.7") as third:
            third.send({"type": "hello", "protocol": "1", "kiosk_id": "web"})
            assert third.wait("error")["code"] == "too_many_from_address"
            assert close_code(third) == 1013
        with client(hall, origin=CITY, address="203.0.113.50") as neighbour:
            assert neighbour.hello("web", capabilities=TEXT_ONLY)["reason"] == "hello"
        assert first.turn("how do I apply for a passport?")["bot"]["card"]["service_id"] == "passport_travel_permit"
        assert second.turn("where is the toilet?")["bot"]["text"]
    wait_web_sessions(hall, 0)


def test_a_web_citizen_asking_too_fast_is_told_to_wait_and_the_session_survives(hall):
    with (
        client(hall, origin=CITY, address="198.51.100.8") as fast,
        client(hall, origin=CITY, address="198.51.100.9") as calm,
    ):
        fast.hello("web", capabilities=TEXT_ONLY)
        calm.hello("web", capabilities=TEXT_ONLY)
        for question in ["hello", "how do I apply for a passport?", "how much is it?"]:
            fast.turn(question)
        fast.send({"type": "text", "text": "and how long does it take?"})
        error = fast.wait("error")
        assert error["code"] == "turn_limit" and "3 questions a minute" in error["message"]
        fast.send({"type": "ping", "id": "still-there"})
        assert fast.wait("pong")["id"] == "still-there"
        assert calm.turn("how do I apply for a passport?")["bot"]["card"]["service_id"] == "passport_travel_permit"
    wait_web_sessions(hall, 0)


def test_web_sessions_in_all_are_limited_and_health_says_how_full(make_bridge, secrets_file):
    server = make_bridge(kiosk_secrets_file=str(secrets_file), web_max_sessions=2, web_sessions_per_address=5)
    with client(server) as a, client(server) as b:
        a.hello("web", capabilities=TEXT_ONLY)
        b.hello("web", capabilities=TEXT_ONLY)
        state = health(server)
        assert (state["web_sessions"], state["web_max_sessions"]) == (2, 2)
        metrics = httpx.get(f"{server.http}/metrics").text
        assert "lobby_bridge_web_sessions 2" in metrics and "lobby_bridge_web_sessions_limit 2" in metrics
        with client(server) as c:
            c.send({"type": "hello", "protocol": "1", "kiosk_id": "web"})
            assert c.wait("error")["code"] == "too_many_web_sessions"
        with client(server) as kiosk:  # the hall's kiosks are not crowded out by the web
            assert kiosk.hello("entrance", token=SECRET_A)["kiosk_id"] == "entrance"
    assert 'lobby_bridge_web_refused_total{code="too_many_web_sessions"} 1' in httpx.get(f"{server.http}/metrics").text


def test_a_text_only_web_refuses_the_microphone_and_still_answers_typing(make_bridge, secrets_file):
    server = make_bridge(kiosk_secrets_file=str(secrets_file), web_mode="text")
    with client(server) as k:
        k.hello("web")  # asks for audio out; the web here is text-only
        k.send({"type": "audio_start", "sample_rate": 16000, "encoding": "pcm16"})
        assert k.wait("error")["code"] == "voice_not_allowed"
        k.send(b"\x00\x00" * 1600)
        k.send({"type": "audio_end"})
        reply = k.turn("how do I apply for a passport?")
        assert reply["bot"]["card"]["service_id"] == "passport_travel_permit"
        assert not reply["speech"] and not any(m["type"] == "error" for m in reply["all"])


def test_a_web_session_s_audio_allowance_runs_out_and_typing_still_works(make_bridge, secrets_file):
    server = make_bridge(kiosk_secrets_file=str(secrets_file), web_audio_s=0.5)
    with client(server) as k:
        k.hello("web")
        k.send({"type": "audio_start", "sample_rate": 16000, "encoding": "pcm16"})
        for _ in range(10):  # 1 s of silence in 100 ms frames
            k.send(b"\x00\x00" * 1600)
        error = k.wait("error")
        assert error["code"] == "audio_limit" and "0.5 s of audio" in error["message"]
        k.send({"type": "audio_end"})
        assert k.turn("how do I apply for a passport?")["bot"]["card"]["service_id"] == "passport_travel_permit"


# --- session management (OWASP ASVS 5.0 V7) ------------------------------------------------------------------------
def test_session_ids_carry_128_random_bits_and_are_signed_for_their_kiosk():
    from avatar_bridge.sessions import RANDOM_HEX, SessionBook

    book = SessionBook()
    ids = [book.issue("entrance") for _ in range(2000)]
    assert len(set(ids)) == len(ids) and len({i[:RANDOM_HEX] for i in ids}) == len(ids)
    assert RANDOM_HEX * 4 >= 128 and all(len(i) <= 64 for i in ids)  # session.json allows 64 characters
    assert all(book.genuine(i, "entrance") and not book.genuine(i, "floor2") for i in ids[:50])


def test_a_conversation_ends_at_its_absolute_lifetime_and_cannot_be_resumed(make_bridge):
    server = make_bridge(session_max_s=3.0, inactivity_s=600.0)
    with Kiosk(server.url) as k:
        first = k.hello("web", capabilities=TEXT_ONLY)
        k.turn("how do I apply for a passport?")
        expired = [m for m in k.messages if m["type"] == "session" and m["reason"] == "expired"]  # during the turn?
        renewed = expired[0] if expired else k.wait("session", reason="expired")  # activity does not extend it
        assert renewed["session_id"] != first["session_id"]
    with Kiosk(server.url) as k:
        session = k.hello("web", capabilities=TEXT_ONLY, resume={"session_id": first["session_id"]})
        error = next(m for m in k.messages if m["type"] == "error")
        assert error["code"] == "bad_session" and "maximum lifetime" in error["message"]
        assert session["reason"] == "hello"


def test_a_connection_that_never_says_hello_is_closed(make_bridge):
    server = make_bridge(hello_timeout_s=1.0)
    with Kiosk(server.url) as silent:
        assert silent.wait("error")["code"] == "hello_timeout"
        assert close_code(silent) == 1008
    assert httpx.get(f"{server.http}/health").json()["status"] == "ok"
