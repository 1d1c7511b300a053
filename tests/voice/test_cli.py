"""The command line a developer uses to try the engines."""

from __future__ import annotations

import json
import subprocess
import sys
import wave
from pathlib import Path

import pytest

from voice.__main__ import main

REPO = Path(__file__).resolve().parents[2]


@pytest.mark.parametrize("args", [["--help"], ["transcribe", "--help"], ["speak", "--help"], ["normalize", "--help"]])
def test_help(args, capsys):
    with pytest.raises(SystemExit) as info:
        main(args)
    assert info.value.code == 0
    assert "usage: python -m voice" in capsys.readouterr().out


def test_speak_writes_a_wav_and_a_timeline(tmp_path, capsys):
    out, timeline = tmp_path / "out.wav", tmp_path / "out.json"
    assert (
        main(
            [
                "speak",
                "Window B12 is open 9:00–17:00.",
                "-o",
                str(out),
                "--timeline",
                str(timeline),
                "--engine",
                "espeak",
                "--rate",
                "0.85",
            ]
        )
        == 0
    )
    with wave.open(str(out)) as wav:
        assert wav.getnchannels() == 1 and wav.getsampwidth() == 2 and wav.getframerate() == 22050
        assert wav.getnframes() > 22050
        audio_ms = wav.getnframes() / 22050 * 1000
    data = json.loads(timeline.read_text())
    assert data["text"] == "Window B twelve is open nine a.m. to five p.m."
    assert data["words"][0]["word"] == "Window"
    visemes = data["visemes"]
    assert {v["viseme"] for v in visemes} - {"sil"}, "the mouth moves"
    assert visemes[0]["start_ms"] == data["words"][0]["start_ms"], "the mouth moves with the first word"
    for a, b in zip(visemes, visemes[1:], strict=False):
        assert a["start_ms"] + a["duration_ms"] == b["start_ms"], "one mouth shape at a time, no gaps"
    end = visemes[-1]["start_ms"] + visemes[-1]["duration_ms"]
    assert abs(end - audio_ms) <= 20, "the mouth stops when the audio does"


def test_speak_then_transcribe_round_trip(tmp_path, capsys):
    out = tmp_path / "q.wav"
    assert main(["speak", "Where is the social security card window?", "-o", str(out)]) == 0
    capsys.readouterr()
    assert main(["transcribe", str(out), "--model", "tiny.en", "--json"]) == 0
    result = json.loads(capsys.readouterr().out)
    assert "social security card" in result["text"].lower()
    assert result["words"] and result["elapsed_ms"] > 0


def test_errors_exit_with_code_2_and_a_message(tmp_path, capsys):
    assert main(["transcribe", str(tmp_path / "missing.wav")]) == 2
    assert "AudioFormatError" in capsys.readouterr().err
    assert main(["speak", "你好", "-o", str(tmp_path / "x.wav"), "--language", "zh"]) == 2
    assert "UnsupportedLanguageError" in capsys.readouterr().err


def test_runs_as_a_module():
    result = subprocess.run(
        [sys.executable, "-m", "voice", "normalize", "Fee: ¥30, window B12"],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    assert result.stdout.strip() == "Fee: thirty yuan, window B twelve."
