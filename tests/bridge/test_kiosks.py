"""Per-kiosk settings, audio rate limits, goodbye and opt-in recordings: the kiosk life-cycle as operators see it."""

from __future__ import annotations

import datetime as dt
import json
import subprocess
import sys
from pathlib import Path

import httpx
import pytest

from avatar_bridge.config import BridgeConfig, KioskFileError
from avatar_bridge.recordings import Recorder
from testkit.kiosk import Kiosk
from testkit.speech import speech_pcm16k

KIOSKS = {
    # a kiosk whose id is not a hall position: it stands where hall.yml puts "floor2", and speaks slowly
    "east-wing-01": {"kiosk_id": "east-wing-01", "position": "floor2", "speaking_rate": 0.7},
}


@pytest.fixture(scope="module")
def kiosk_bridge(make_bridge, tmp_path_factory):
    return make_bridge(kiosks=KIOSKS, recordings_dir=str(tmp_path_factory.mktemp("recordings")), retention_days=7)


def directions(url: str, kiosk_id: str) -> tuple[dict, dict]:
    with Kiosk(url) as k:
        k.hello(kiosk_id)
        k.turn("where do I apply for a residence permit?")
        turn = k.turn("where is that?")
    points = [g["name"] for g in turn["gestures"] if g["name"].startswith("point_")]
    return turn["bot"]["card"]["fields"]["directions"], {"points": points, "speech": turn["speech"]}


def test_a_kiosk_gets_its_own_position_and_speaking_rate_from_the_kiosk_file(kiosk_bridge):
    east, east_turn = directions(kiosk_bridge.url, "east-wing-01")
    floor2, floor2_turn = directions(kiosk_bridge.url, "floor2")
    assert east == floor2  # directions (and pointing) from where hall.yml puts it (test_turns: they differ by kiosk)
    assert east_turn["points"] == [floor2["gesture"]]
    slow = sum(s["duration_ms"] for s in east_turn["speech"])
    normal = sum(s["duration_ms"] for s in floor2_turn["speech"])
    assert slow > normal * 1.2  # speaking_rate 0.7


def test_kiosk_file_with_an_unknown_position_is_refused(tmp_path):
    bad = tmp_path / "kiosks.yml"
    bad.write_text("kiosks:\n  - kiosk_id: k1\n    position: the-moon\n")
    with pytest.raises(KioskFileError, match="the-moon"):
        BridgeConfig.with_kiosk_file(bad)
    bad.write_text("kiosks:\n  - kiosk_id: k1\n    sped: 2\n")
    with pytest.raises(KioskFileError, match="sped"):
        BridgeConfig.with_kiosk_file(bad)


def test_command_line_help_documents_the_kiosk_file():
    out = subprocess.run(
        [sys.executable, "-m", "avatar_bridge", "--help"], capture_output=True, text=True, check=True
    ).stdout
    for key in (
        "--kiosk-config",
        "position",
        "speaking_rate",
        "end_silence_s",
        "asr_model",
        "voice",
        "elderly",
        "--keep-recordings",
        "--retention-days",
    ):
        assert key in out


def test_audio_faster_than_real_time_is_rate_limited_and_the_session_survives(kiosk_bridge):
    with Kiosk(kiosk_bridge.url) as k:
        k.hello()
        k.send({"type": "audio_start", "sample_rate": 16000, "encoding": "pcm16"})
        for _ in range(150):  # 15 s of audio in one go: beyond the 6 s burst a microphone could explain
            k.send(b"\x00\x00" * 1600)
        assert k.wait("error")["code"] == "rate_limited"
        k.send({"type": "audio_end"})
        k.send({"type": "ping", "id": "still-here"})
        assert k.wait("pong")["id"] == "still-here"
        assert k.turn("hello")["bot"]["card"]["kind"] == "greeting"
    assert 'lobby_bridge_errors_total{code="rate_limited"}' in httpx.get(f"{kiosk_bridge.http}/metrics").text


def test_goodbye_ends_the_conversation_for_the_next_citizen(kiosk_bridge):
    with Kiosk(kiosk_bridge.url) as k:
        first = k.hello()["session_id"]
        turn = k.turn("goodbye")
        assert turn["bot"]["text"].lower().startswith("goodbye")
        renewed = k.wait("session")
    assert renewed["reason"] == "goodbye" and renewed["session_id"] != first


def test_recordings_are_kept_only_when_opted_in_and_expire(kiosk_bridge, bridge, engines, tmp_path):
    folder = kiosk_bridge.config.recordings_dir
    with Kiosk(kiosk_bridge.url) as k:
        session = k.hello()["session_id"]
        k.send({"type": "audio_start", "sample_rate": 16000, "encoding": "pcm16"})
        k.send(speech_pcm16k(engines.tts, "Where is the help desk?"))
        k.send({"type": "audio_end"})
        transcript = k.wait("transcript")["text"]
        k.wait("metrics")
    kept = json.loads(next(Path(folder).glob(f"*/{session}-*.json")).read_text())
    assert next(Path(folder).glob(f"*/{session}-*.wav")).stat().st_size > 1000
    assert kept["transcript"] == transcript and kept["kiosk_id"] == "entrance"
    assert bridge.config.recordings_dir is None  # the default bridge keeps nothing
    old = tmp_path / (dt.date.today() - dt.timedelta(days=8)).isoformat()
    old.mkdir()
    (old / "x.wav").write_bytes(b"")
    recent = tmp_path / dt.date.today().isoformat()
    recent.mkdir()
    Recorder(tmp_path, retention_days=7)
    assert not old.exists() and recent.exists()
