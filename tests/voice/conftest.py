"""Voice fixtures: engines and recognisers are loaded once per session and shared.

Models must have been assembled by set-up (`python -m voice.models install`);
if they are missing the tests fail with that instruction instead of skipping,
so a broken set-up is never mistaken for a green run.
"""

from __future__ import annotations

import pytest

from voice.models import load_manifest, require_model_dir


def _require_models() -> None:
    """Cheap presence check (sizes); the sha256 check has its own test in test_models.py."""
    for name in load_manifest():
        require_model_dir(name)


@pytest.fixture(scope="session")
def piper():
    """The Piper voice with sampling noise off, so every run hears the same audio."""
    _require_models()
    from voice.tts.piper_engine import PiperEngine

    return PiperEngine(variation=0.0)


@pytest.fixture(scope="session")
def espeak():
    from voice.tts import create_engine

    return create_engine("espeak")


@pytest.fixture(scope="session")
def tiny():
    _require_models()
    from voice.asr import Recognizer

    return Recognizer("tiny.en")


@pytest.fixture(scope="session")
def base():
    _require_models()
    from voice.asr import Recognizer

    return Recognizer("base")


@pytest.fixture(scope="session")
def question_speech(piper):
    """One Piper-spoken service-hall question, reused by the bad-input tests."""
    return piper.synthesize("How do I transfer my hukou to Harbor City?")
