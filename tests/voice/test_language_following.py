"""Language following in the recogniser: Whisper's language detection picks English or Mandarin per utterance,
and only when it is confident; an English-only model never changes language."""

from __future__ import annotations

import numpy as np
import pytest
import soxr

from voice.asr import FOLLOW_MIN_PROBABILITY
from voice.cjk import has_cjk
from voice.tts.espeak_engine import EspeakEngine

FOLLOW = ("en", "zh")


def pcm16k(speech) -> np.ndarray:
    audio = soxr.resample(speech.audio.astype(np.float32) / 32768, speech.sample_rate, 16000)
    pad = np.zeros(8000, np.float32)
    return np.concatenate([pad, audio, pad])


@pytest.fixture(scope="module")
def clear_mandarin() -> np.ndarray:
    """espeak-ng Mandarin that Whisper base identifies as Mandarin (voice f5, slower)."""
    return pcm16k(EspeakEngine(voice="cmn+f5", language="zh").synthesize("我想办社保卡", rate=0.8))


@pytest.fixture(scope="module")
def doubtful_mandarin() -> np.ndarray:
    """espeak-ng's default Mandarin voice, which Whisper base takes for Thai."""
    return pcm16k(EspeakEngine(language="zh").synthesize("新生儿出生一件事在哪里办？"))


def test_mandarin_heard_by_an_english_session_is_decoded_as_mandarin(base, clear_mandarin):
    transcript = base.transcribe(clear_mandarin, 16000, language="en", follow=FOLLOW)
    assert transcript.language == "zh"
    assert transcript.details["detected"]["probability"] >= FOLLOW_MIN_PROBABILITY
    assert has_cjk(transcript.text), transcript.text


def test_english_heard_by_a_mandarin_session_is_decoded_as_english(base, piper):
    audio = pcm16k(piper.synthesize("Where do I apply for a new ID card?"))
    transcript = base.transcribe(audio, 16000, language="zh", follow=FOLLOW)
    assert transcript.language == "en"
    assert "ID card" in transcript.text


def test_an_unsure_detection_keeps_the_session_language(base, doubtful_mandarin):
    transcript = base.transcribe(doubtful_mandarin, 16000, language="en", follow=FOLLOW)
    detected = transcript.details["detected"]
    assert detected["language"] not in FOLLOW or detected["probability"] < FOLLOW_MIN_PROBABILITY, detected
    assert transcript.language == "en"


def test_without_following_the_session_language_is_used(base, clear_mandarin):
    transcript = base.transcribe(clear_mandarin, 16000, language="en")
    assert transcript.language == "en" and "detected" not in transcript.details


def test_an_english_only_model_never_follows(tiny, clear_mandarin):
    transcript = tiny.transcribe(clear_mandarin, 16000, language="en", follow=FOLLOW)
    assert transcript.language == "en" and "detected" not in transcript.details
