"""Resuming a conversation after a dropped connection or a page reload; text-only clients get no speech."""

from __future__ import annotations

from testkit.kiosk import Kiosk

TEXT_ONLY = {"audio_in": False, "audio_out": False, "visemes": False, "gestures": False}


def test_a_reconnecting_client_resumes_its_conversation_with_the_dialogue_core(bridge):
    # the web widget (text only, which keeps this test short); a kiosk resumes the same way
    with Kiosk(bridge.url) as k:
        first = k.hello("web", capabilities=TEXT_ONLY)
        k.turn("how do I apply for a passport?")
    # the websocket dropped (or the page was reloaded); the client reconnects and asks to continue
    with Kiosk(bridge.url) as k:
        session = k.hello("web", capabilities=TEXT_ONLY, resume={"session_id": first["session_id"]})
        assert session["reason"] == "resume" and session["session_id"] == first["session_id"]
        card = k.turn("how much is it?")["bot"]["card"]
    assert card["service_id"] == "passport_travel_permit" and card["topic"] == "fee"


def test_a_forged_or_ended_session_is_refused_and_a_fresh_conversation_starts(bridge):
    with Kiosk(bridge.url) as k:
        issued = k.hello(capabilities=TEXT_ONLY)["session_id"]
        k.send({"type": "reset"})
        k.wait("session", reason="reset")
    forged = issued[:-1] + ("0" if issued[-1] != "0" else "1")
    cases = [
        ("entrance", forged, "did not issue"),
        ("floor2", issued, "did not issue"),  # an id issued to another kiosk
        ("entrance", issued, "has ended"),  # that citizen's conversation was reset
    ]
    for kiosk_id, session_id, reason in cases:
        with Kiosk(bridge.url) as k:
            session = k.hello(kiosk_id, capabilities=TEXT_ONLY, resume={"session_id": session_id})
            error = next(m for m in k.messages if m["type"] == "error")
            assert error["code"] == "bad_session" and reason in error["message"]
            assert session["reason"] == "hello" and session["session_id"] not in (issued, forged)
            assert k.turn("how much is it?")["bot"]["card"]["topic"] == "which_service"  # knows nothing


def test_a_text_only_client_gets_replies_without_any_speech(bridge):
    with Kiosk(bridge.url) as k:
        k.hello("web", capabilities=TEXT_ONLY)
        turn = k.turn("where do I apply for a residence permit?")
        k.wait("state", state="idle")
        assert turn["bot"]["text"] and turn["bot"]["card"]
        kinds = {m["type"] for m in k.messages}
        assert "metrics" in kinds and not kinds & {"speech", "speech_end"}
        assert k.audio_frames == []
