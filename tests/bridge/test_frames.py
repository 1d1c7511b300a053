"""How the bridge's stages coordinate: typed frames into the session controller, the one place that decides
whether the avatar is speaking, renews sessions and reports client errors (unit tests on Pipecat's test runner;
the whole pipeline is exercised by the other tests here)."""

from __future__ import annotations

import asyncio

from pipecat.frames.frames import (
    BotStartedSpeakingFrame,
    BotStoppedSpeakingFrame,
    InputTransportMessageFrame,
    OutputTransportMessageFrame,
    STTUpdateSettingsFrame,
    TTSUpdateSettingsFrame,
)
from pipecat.processors.frame_processor import FrameDirection
from pipecat.tests.utils import run_test

from avatar_bridge.config import KioskProfile
from avatar_bridge.controller import SessionController, SessionSettings
from avatar_bridge.frames import (
    ClientErrorFrame,
    Errors,
    ProtocolErrorFrame,
    ReplyFinishedFrame,
    ReplyStartedFrame,
    TurnTimingFrame,
)
from avatar_bridge.state import SessionState


def controller(state: SessionState, counted: list[str] | None = None, **settings) -> SessionController:
    errors = Errors(count=counted.append) if counted is not None else None
    return SessionController(state, SessionSettings(**settings), errors=errors)


def up(processor: SessionController, *frames):
    """Send frames upstream into the controller, as the synthesiser and the output transport do."""
    return asyncio.run(
        run_test(processor, frames_to_send=list(frames), frames_to_send_direction=FrameDirection.UPSTREAM)
    )


def test_the_avatar_speaks_from_reply_start_until_its_audio_has_gone_out():
    state = SessionState()
    seen = []
    processor = controller(state)
    original = processor._avatar

    async def watching(frame):  # the state as each frame has been taken in
        await original(frame)
        seen.append((type(frame).__name__, state.speaking))

    processor._avatar = watching
    up(
        processor,
        ReplyStartedFrame(utterance_id="u1"),
        BotStartedSpeakingFrame(),
        ReplyFinishedFrame(utterance_id="u1", spoke=True),
        BotStoppedSpeakingFrame(),
    )
    assert seen == [
        ("ReplyStartedFrame", True),  # synthesising: a barge-in now interrupts
        ("BotStartedSpeakingFrame", True),
        ("ReplyFinishedFrame", True),  # synthesis done, audio still going out
        ("BotStoppedSpeakingFrame", False),
    ]
    assert state.turns == 1


def test_a_client_still_playing_keeps_the_avatar_speaking():
    state = SessionState()
    state.avatar.client_playing.add("u1")
    assert state.speaking
    state.avatar.silenced()
    assert not state.speaking


def test_a_farewell_renews_the_session_behind_the_reply():
    state = SessionState(kiosk_id="entrance", turns=3)
    first = state.session_id
    down, _ = up(
        controller(state),
        ReplyStartedFrame(utterance_id="bye"),
        ReplyFinishedFrame(utterance_id="bye", spoke=True, farewell=True),
    )
    sessions = [f.message for f in down if isinstance(f, OutputTransportMessageFrame)]
    assert sessions[0]["type"] == "session" and sessions[0]["reason"] == "goodbye"
    assert sessions[0]["session_id"] == state.session_id != first
    assert state.turns == 0


def test_an_interrupted_farewell_does_not_end_the_conversation():
    state = SessionState()
    first = state.session_id
    up(controller(state), ReplyFinishedFrame(utterance_id="bye", spoke=True, farewell=True, interrupted=True))
    assert state.session_id == first


def test_protocol_errors_are_reported_and_counted_where_made():
    counted: list[str] = []
    state = SessionState(hello=True)
    down, _ = asyncio.run(
        run_test(
            controller(state, counted),
            frames_to_send=[ProtocolErrorFrame(code="bad_json", message="not valid JSON")],
        )
    )
    errors = [f for f in down if isinstance(f, ClientErrorFrame)]
    assert [e.message["code"] for e in errors] == ["bad_json"] == counted


def test_hello_applies_the_kiosk_profile_to_the_other_stages_with_frames():
    state = SessionState()
    profile = KioskProfile("lobby", asr_model="base", voice="en_US-joe-medium", end_silence_s=1.2, elderly=True)
    hello = {"type": "hello", "protocol": "1", "kiosk_id": "lobby"}
    down, _ = asyncio.run(
        run_test(
            controller(state, profile=lambda kiosk_id: profile),
            frames_to_send=[InputTransportMessageFrame(message=hello)],
        )
    )
    timing = next(f for f in down if isinstance(f, TurnTimingFrame))
    assert (timing.end_silence_s, timing.elderly) == (1.2, True)
    assert next(f for f in down if isinstance(f, STTUpdateSettingsFrame)).delta.model == "base"
    assert next(f for f in down if isinstance(f, TTSUpdateSettingsFrame)).delta.voice == "en_US-joe-medium"
