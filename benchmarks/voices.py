"""Synthetic citizens for recognition benchmarks: tuning voices and evaluation voices, cached as WAV.

Recognition options (biasing mode, term selection, correction thresholds) are
chosen on the *tuning* voices only: the project's Piper voice and plain
espeak-ng `en-us`. The *evaluation* voices never take part in tuning, so what
they score is what a new speaker would get: Festival's `kal_diphone` (Debian
`festvox-kallpc16k`) and espeak-ng variants with a different pitch, timbre and
accent. Audio is 16 kHz mono PCM16 with 0.2 s of silence either side (what a
push-to-talk kiosk sends), cached under var/voice-cache/ by voice and text so a
re-run does not synthesise again.
"""

from __future__ import annotations

import hashlib
import shutil
import subprocess
import tempfile
import wave
from collections.abc import Callable
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parent.parent
CACHE = REPO / "var" / "voice-cache"
TUNING_VOICES = ("piper-joe", "espeak-en-us")
EVALUATION_VOICES = ("festival-kal", "espeak-en-us+f3", "espeak-en-gb+m3")
ALL_VOICES = TUNING_VOICES + EVALUATION_VOICES
PAD_S = 0.2


class VoiceUnavailable(RuntimeError):
    """A voice's engine is not installed (see scripts/apt-packages.txt)."""


def _read_wav(path: Path) -> tuple[np.ndarray, int]:
    with wave.open(str(path)) as w:
        rate, channels = w.getframerate(), w.getnchannels()
        pcm = np.frombuffer(w.readframes(w.getnframes()), dtype=np.int16)
    if channels > 1:
        pcm = pcm.reshape(-1, channels).mean(axis=1).astype(np.int16)
    return pcm, rate


def _to_16k(pcm: np.ndarray, rate: int) -> np.ndarray:
    import soxr

    floats = pcm.astype(np.float32) / 32768
    if rate != 16000:
        floats = soxr.resample(floats, rate, 16000)
    pad = np.zeros(int(PAD_S * 16000), dtype=np.float32)
    floats = np.concatenate([pad, floats, pad])
    return (np.clip(floats, -1, 1) * 32767).astype(np.int16)


def _espeak_cli(voice: str) -> Callable[[str], np.ndarray]:
    if shutil.which("espeak-ng") is None:
        raise VoiceUnavailable("espeak-ng is not installed (apt-get install espeak-ng)")

    def speak(text: str) -> np.ndarray:
        with tempfile.TemporaryDirectory() as tmp:
            out = Path(tmp) / "s.wav"
            subprocess.run(["espeak-ng", "-v", voice, "-w", str(out), text], check=True, capture_output=True)
            return _to_16k(*_read_wav(out))

    return speak


def _festival() -> Callable[[str], np.ndarray]:
    if shutil.which("text2wave") is None:
        raise VoiceUnavailable("Festival is not installed (apt-get install festival festvox-kallpc16k)")

    def speak(text: str) -> np.ndarray:
        with tempfile.TemporaryDirectory() as tmp:
            out = Path(tmp) / "s.wav"
            subprocess.run(
                ["text2wave", "-o", str(out), "-eval", "(voice_kal_diphone)"],
                input=text.encode("utf-8"),
                check=True,
                capture_output=True,
            )
            return _to_16k(*_read_wav(out))

    return speak


def _engine(name: str) -> Callable[[str], np.ndarray]:
    from voice.tts import create_engine
    from voice.tts.piper_engine import PiperEngine

    engine = PiperEngine(variation=0.0) if name == "piper" else create_engine(name)  # deterministic Piper

    def speak(text: str) -> np.ndarray:
        speech = engine.synthesize(text)
        return _to_16k(speech.audio, speech.sample_rate)

    return speak


def synthesiser(voice: str) -> Callable[[str], np.ndarray]:
    """A function text -> 16 kHz PCM16 for one of ALL_VOICES."""
    if voice == "piper-joe":
        return _engine("piper")
    if voice == "espeak-en-us":
        return _engine("espeak")
    if voice == "festival-kal":
        return _festival()
    if voice.startswith("espeak-"):
        return _espeak_cli(voice.removeprefix("espeak-"))
    raise ValueError(f"unknown voice {voice!r}; choose from {', '.join(ALL_VOICES)}")


class VoiceCache:
    """Synthesise once per (voice, text); WAVs under `root`/<voice>/<sha1 of text>.wav."""

    def __init__(self, root: Path = CACHE):
        self.root = root
        self._speakers: dict[str, Callable[[str], np.ndarray]] = {}

    def path(self, voice: str, text: str) -> Path:
        return self.root / voice / (hashlib.sha1(text.encode("utf-8")).hexdigest()[:16] + ".wav")

    def pcm(self, voice: str, text: str) -> np.ndarray:
        path = self.path(voice, text)
        if path.is_file():
            return _read_wav(path)[0]
        if voice not in self._speakers:
            self._speakers[voice] = synthesiser(voice)
        pcm = self._speakers[voice](text)
        path.parent.mkdir(parents=True, exist_ok=True)
        with wave.open(str(path), "wb") as w:
            w.setnchannels(1)
            w.setsampwidth(2)
            w.setframerate(16000)
            w.writeframes(pcm.tobytes())
        return pcm


def citizen_service_questions(path: Path | None = None) -> list[dict]:
    """The held-out split's service questions ({text, service, intent, style}): for measuring only."""
    import yaml

    path = path or REPO / "tests" / "nlu" / "citizen_split.yml"
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    return [q for q in data["service_questions"] if q.get("service")]


def spread(items: list, limit: int | None) -> list:
    """`limit` items evenly spread over the list (every service stays represented), or all of them."""
    if not limit or limit >= len(items):
        return list(items)
    step = len(items) / limit
    return [items[int(i * step)] for i in range(limit)]
