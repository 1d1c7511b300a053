"""A bridge under load: the recogniser keeps its CPU for final transcripts, and kiosks beyond what the bridge was
measured to serve hands-free are served push-to-talk and told so. Sessions go on in both cases."""

from __future__ import annotations

import time

import httpx

from avatar_bridge.app import Engines
from avatar_bridge.asr_scheduler import DecodeScheduler, DecodeSettings
from testkit.kiosk import Kiosk, start_bridge
from testkit.speech import hands_free_pcm, stream_realtime

QUESTION = "What documents do I need to bring when I apply for a new passport?"


def open_mic(kiosk: Kiosk) -> None:
    kiosk.hello(mode="hands_free")
    kiosk.send({"type": "audio_start", "sample_rate": 16000, "encoding": "pcm16"})


def errors_so_far(kiosk: Kiosk, ping_id: int) -> list[str]:
    """Codes of the errors sent so far: a ping is answered after everything the bridge had to say before it."""
    kiosk.send({"type": "ping", "id": ping_id})
    kiosk.wait("pong", id=ping_id)
    return [m["code"] for m in kiosk.messages if m["type"] == "error"]


def wait_for_health(server, key: str, value: int) -> None:
    """A closed session frees its seat once its pipeline has stopped: wait for /health to say so."""
    deadline = time.monotonic() + 30
    while httpx.get(f"{server.http}/health").json()[key] != value and time.monotonic() < deadline:
        time.sleep(0.1)


def test_when_the_recogniser_has_no_room_for_partials_the_question_is_still_heard_and_answered(engines, dialogue):
    # a recogniser queue that refuses every partial decode, as a busy bridge does while finals wait
    busy = Engines(engines.recognizer, engines.tts, asr=DecodeScheduler(DecodeSettings(max_partials=0)))
    # the suite's relaxed dialogue deadline, as tests/conftest.py gives the shared bridges
    server = start_bridge(busy, rasa_url=dialogue.rasa_url, partial_interval_s=0.3, rasa_deadline_s=30.0)
    try:
        with Kiosk(server.url) as kiosk:
            open_mic(kiosk)
            stream_realtime(kiosk, hands_free_pcm(engines.tts, QUESTION))
            final = kiosk.wait("transcript", kind="final")
            bot = kiosk.wait("bot_message")
            kiosk.wait("metrics", utterance_id=bot["utterance_id"])
        prometheus = httpx.get(f"{server.http}/metrics").text
    finally:
        server.stop()
    assert not [m for m in kiosk.messages if m["type"] == "transcript" and m["kind"] == "partial"]
    assert "passport" in final["text"].lower()
    assert bot["card"]["service_id"] == "passport_travel_permit"
    refused = next(
        line for line in prometheus.splitlines() if 'kind="asr_partial",outcome="refused"' in line
    )  # the partials were asked for, and refused
    assert int(refused.rsplit(" ", 1)[1]) > 0


def test_a_kiosk_beyond_the_hands_free_seats_is_served_push_to_talk_and_told_so(make_bridge):
    server = make_bridge(max_hands_free=1)
    with Kiosk(server.url) as first:
        open_mic(first)
        assert errors_so_far(first, 1) == []  # the one seat
        with Kiosk(server.url) as second:
            second.hello(mode="hands_free")
            error = second.wait("error")
            assert error["code"] == "hands_free_unavailable"
            assert "push-to-talk" in error["message"] and "1 hands-free" in error["message"]
            # it is push-to-talk now: audio outside audio_start/audio_end is refused, not listened to ...
            second.send(b"\x00\x00" * 320)
            assert second.wait("error")["code"] == "audio_not_started"
            # ... and the session goes on
            assert second.turn("where is the help desk?")["bot"]["text"]
            assert httpx.get(f"{server.http}/health").json()["hands_free_sessions"] == 1
            # asking again while the seat is taken gets the same answer
            second.send({"type": "settings", "mode": "hands_free"})
            second.wait("state")
            assert errors_so_far(second, 2).count("hands_free_unavailable") == 2
            first.ws.close()
            wait_for_health(server, "hands_free_sessions", 0)
            # the seat is free again: hands-free is granted, without an error
            second.send({"type": "settings", "mode": "hands_free"})
            second.wait("state")
            assert errors_so_far(second, 3).count("hands_free_unavailable") == 2
            assert httpx.get(f"{server.http}/health").json()["hands_free_sessions"] == 1
