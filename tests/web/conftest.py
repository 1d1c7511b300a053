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

from testkit.kiosk import BridgeServer

ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS = ROOT / "artifacts" / "web"
CHROMIUM = "/usr/bin/chromium"
# Flags that work headless as root on these machines (docs/web.md).
CHROMIUM_FLAGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
    "--disable-sync", "--no-first-run", "--autoplay-policy=no-user-gesture-required",
    "--use-fake-ui-for-media-stream", "--use-fake-device-for-media-stream",
]  # fmt: skip
VOICE_QUESTION = "Where do I renew my passport?"
TIMEOUT_MS = 60_000  # generous bound for a loaded 2-core machine, not a latency assertion


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


def shot(page: Page, name: str) -> None:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"{name}.png"))


def start_kiosk(page: Page, server: BridgeServer, query: str = "") -> Page:
    """Open /kiosk, touch to start, and wait until the guide is connected."""
    page.goto(f"{server.http}/kiosk{query}")
    page.get_by_role("button", name="Touch to start").click()
    page.wait_for_selector('#connection[data-status="open"]')
    return page


def ask(page: Page, question: str) -> None:
    """Type a question and wait until the guide has answered and finished speaking."""
    answers = page.locator(".msg-bot").count()
    page.get_by_role("textbox", name="Type your question").fill(question)
    page.get_by_role("button", name="Send").click()
    page.wait_for_function(f"document.querySelectorAll('.msg-bot').length > {answers}")
    wait_until_quiet(page)


def wait_until_quiet(page: Page) -> None:
    page.wait_for_function("window.lobbyKiosk.state === 'idle' && !window.lobbyKiosk.player.speaking")
