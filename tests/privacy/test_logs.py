"""Logs hold no message text, ID-card number or phone number, unless an operator switches text logging on.

The real servers as a kiosk meets them: the avatar bridge (its log records captured here at INFO, more than
it runs with), and the Rasa and action servers started by the test kit with LOG_LEVEL=INFO, whose log files
are read whole after a conversation that typed and spoke personal numbers.
"""

from __future__ import annotations

import logging

import pytest

from testkit.kiosk import Kiosk
from testkit.speech import speech_pcm16k

ID_NUMBER = "32010619870415331X"
PHONE = "13912345678"
TYPED = f"my ID card number is {ID_NUMBER} and my phone is {PHONE}, I need a new passport"


def server_logs(dialogue) -> str:
    return "\n".join((dialogue.workdir / name).read_text(errors="replace") for name in ("rasa.log", "actions.log"))


@pytest.fixture
def kiosk_at_info(bridge, caplog, monkeypatch):
    monkeypatch.delenv("LOBBY_LOG_TEXT", raising=False)
    caplog.set_level(logging.INFO)
    with Kiosk(bridge.url) as kiosk:
        kiosk.hello()
        yield kiosk


def test_a_typed_and_a_spoken_turn_leave_no_text_or_numbers_in_any_log(kiosk_at_info, caplog, dialogue, engines):
    kiosk = kiosk_at_info
    reply = kiosk.turn(TYPED)["bot"]["text"]
    kiosk.send({"type": "audio_start", "sample_rate": 16000, "encoding": "pcm16"})
    pcm = speech_pcm16k(engines.tts, "My phone number is 139 1234 5678. Where do I renew my passport?")
    for i in range(0, len(pcm), 3200):
        kiosk.send(pcm[i : i + 3200])
    kiosk.send({"type": "audio_end"})
    heard = kiosk.wait("transcript")["text"]
    spoken_reply = kiosk.wait("bot_message")["text"]
    assert heard and reply and spoken_reply

    bridge_log = caplog.text
    assert f"turn 1: <{len(TYPED)} chars> -> <{len(reply)} chars>" in bridge_log, bridge_log  # the line stays
    assert "ASR" in bridge_log
    logs = {"bridge": bridge_log, "rasa and actions": server_logs(dialogue)}
    for where, text in logs.items():
        for secret in (ID_NUMBER, PHONE, TYPED, "new passport", heard, reply, spoken_reply):
            assert secret not in text, f"{where} log holds {secret!r}"


def test_LOBBY_LOG_TEXT_puts_the_text_back_for_a_debugging_session(kiosk_at_info, caplog, monkeypatch):
    monkeypatch.setenv("LOBBY_LOG_TEXT", "1")
    kiosk_at_info.turn("where is the toilet")
    assert "'where is the toilet'" in caplog.text
