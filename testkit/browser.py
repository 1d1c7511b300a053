"""Browser helpers for tests and benchmarks: Chromium's flags on these machines, screenshots, and the
kiosk page's start, typed question and "finished speaking" waits (used by tests/web and the gesture strip)."""

from __future__ import annotations

from pathlib import Path

from playwright.sync_api import Page

from testkit.kiosk import BridgeServer

ROOT = Path(__file__).resolve().parent.parent
ARTIFACTS = ROOT / "artifacts" / "web"
CHROMIUM = "/usr/bin/chromium"
# Flags that work headless as root on these machines (docs/web.md).
CHROMIUM_FLAGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
    "--disable-sync", "--no-first-run", "--autoplay-policy=no-user-gesture-required",
    "--use-fake-ui-for-media-stream", "--use-fake-device-for-media-stream",
]  # fmt: skip
TIMEOUT_MS = 60_000  # generous bound for a loaded 2-core machine, not a latency assertion


def shot(page: Page, name: str) -> None:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"{name}.png"))


def start_kiosk(page: Page, server: BridgeServer, query: str = "?kiosk=entrance") -> Page:
    """Open /kiosk at a kiosk of the hall (the entrance unless `query` says otherwise), touch to start, and wait
    until the guide is connected. Without `?kiosk=` the page is the home page (`/lobby`), with other words."""
    page.goto(f"{server.http}/kiosk{query}")
    page.get_by_role("button", name="Touch to start").click()
    page.wait_for_selector('#connection[data-status="open"]')
    return page


def ask(page: Page, question: str) -> None:
    """Type a question and wait until the guide has answered and finished speaking.

    "Quiet" alone is not enough: right after Send the kiosk is still idle and silent, so the wait also needs
    the reply's text and a new utterance that has been played to its end (the kiosk always speaks).
    """
    answers = page.locator(".msg-bot").count()
    utterances = page.evaluate("window.lobbyKiosk.player.utterances.size")
    page.get_by_role("textbox", name="Type your question").fill(question)
    page.get_by_role("button", name="Send").click()
    page.wait_for_function(f"document.querySelectorAll('.msg-bot').length > {answers}")
    page.wait_for_function(
        f"(() => {{ const u = [...window.lobbyKiosk.player.utterances.values()];"
        f" return u.length > {utterances} && u.every((x) => x.done); }})()"
    )
    wait_until_quiet(page)


def wait_until_quiet(page: Page) -> None:
    page.wait_for_function("window.lobbyKiosk.state === 'idle' && !window.lobbyKiosk.player.speaking")
