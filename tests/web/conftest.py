"""Browser fixtures: one real Chromium (Debian's, via Playwright) per test session, the real bridge
(with the kiosk pages) against the real Rasa and action servers, and a citizen's question as a WAV
that Chromium plays as its fake microphone.

Screenshots go to artifacts/web/ (git-ignored).
"""

from __future__ import annotations

import wave
from pathlib import Path

import numpy as np
import pytest
import soxr
from playwright.sync_api import Browser, Page, sync_playwright

from testkit.browser import CHROMIUM, CHROMIUM_FLAGS, TIMEOUT_MS

VOICE_QUESTION = "Where do I renew my passport?"


def write_wav(path: Path, pcm: np.ndarray, rate: int) -> None:
    with wave.open(str(path), "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(rate)
        w.writeframes(pcm.astype("<i2").tobytes())


@pytest.fixture(scope="session")
def question_wav(engines, tmp_path_factory) -> Path:
    """The question spoken by deterministic Piper, at 48 kHz, with a little silence before and a long one after."""
    speech = engines.tts.synthesize(VOICE_QUESTION)
    audio = soxr.resample(speech.audio.astype(np.float32) / 32768, speech.sample_rate, 48000)
    audio = np.concatenate([np.zeros(12000, np.float32), audio, np.zeros(48000 * 3, np.float32)])
    path = tmp_path_factory.mktemp("voice") / "question.wav"
    write_wav(path, np.clip(audio, -1, 1) * 32767, 48000)
    return path


@pytest.fixture(scope="module")  # not session: Playwright's sync API holds an event loop on the main thread
def browser(question_wav) -> Browser:
    with sync_playwright() as p:
        browser = p.chromium.launch(
            executable_path=CHROMIUM, args=[*CHROMIUM_FLAGS, f"--use-file-for-fake-audio-capture={question_wav}"]
        )
        yield browser
        browser.close()


@pytest.fixture
def context(browser):
    context = browser.new_context(viewport={"width": 1920, "height": 1080})
    context.set_default_timeout(TIMEOUT_MS)
    yield context
    context.close()


@pytest.fixture
def page(context) -> Page:
    return context.new_page()
