"""The embeddable chat widget and the third-party rasa-webchat widget, in a real Chromium (issue 5 §3, §5)."""

from __future__ import annotations

import functools
import http.server
import threading

import pytest

from testkit.browser import shot
from testkit.dialogue import WEB_ORIGIN_PORT
from testkit.servers import free_port
from tests.web.test_kiosk import serious_violations

WEBCHAT_PORT = WEB_ORIGIN_PORT  # the one origin the test Rasa socket.io channel allows (testkit/dialogue.py)


def serve(directory, port: int) -> http.server.ThreadingHTTPServer:
    """A plain static web server on this machine (pages of "another site")."""
    handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=str(directory))
    handler.log_message = lambda *args: None
    server = http.server.ThreadingHTTPServer(("127.0.0.1", port), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server


@pytest.fixture
def host_page(make_bridge, tmp_path):
    """A plain page of another site (another origin: localhost, not 127.0.0.1) that embeds the widget; the bridge
    lists that site in its allowed origins, as a city lists its website (docs/security.md)."""
    port = free_port()
    bridge = make_bridge(allowed_origins=f"http://localhost:{port}")
    (tmp_path / "news.html").write_text(
        '<!doctype html><html lang="en"><head><title>City news</title></head><body><main><h1>City news</h1>'
        f'<p>Opening hours change in December.</p></main><script src="{bridge.http}/widget.js" async></script>'
        "</body></html>")  # fmt: skip
    server = serve(tmp_path, port)
    yield f"http://localhost:{port}/news.html"
    server.shutdown()


def test_widget_embedded_in_a_plain_page_answers_with_cards_and_keeps_the_conversation(page, host_page):
    page.goto(host_page)
    launcher = page.get_by_role("button", name="Open chat with the city guide")
    launcher.focus()
    page.keyboard.press("Enter")  # keyboard only
    page.keyboard.type("what do I need to bring for a passport?")
    page.keyboard.press("Enter")
    card = page.locator('.card[data-service="passport_travel_permit"][data-topic="materials"]')
    card.wait_for()
    assert "ID card" in card.inner_text()
    page.get_by_role("button", name="Where to go").click()
    page.locator('.card[data-topic="location"]').wait_for()
    shot(page, "20-widget")
    page.reload()
    page.locator('.card[data-topic="location"]').wait_for()
    said = page.locator(".msg-user .msg-text").all_inner_texts()
    assert said[-2:] == ["what do I need to bring for a passport?", "Where to go"]
    assert page.get_by_role("textbox", name="Type your question").is_visible()


def test_chat_demo_page_has_no_serious_accessibility_violations(page, bridge):
    page.goto(f"{bridge.http}/chat")
    page.get_by_role("button", name="Open chat with the city guide").click()
    page.get_by_role("textbox", name="Type your question").fill("how much does a passport cost?")
    page.get_by_role("button", name="Send").click()
    page.locator(".card .service-link a").wait_for()  # on the city's website: a link, not a QR code
    assert page.locator(".card .qr svg").count() == 0
    shot(page, "21-chat-demo")
    assert serious_violations(page) == []


def test_third_party_rasa_webchat_talks_to_the_real_rasa_socketio_channel(page, bridge, dialogue, tmp_path):
    (tmp_path / "webchat.html").write_text(
        f'<!doctype html><html lang="en"><head><title>Webchat</title></head><body><div id="webchat"></div>'
        f'<script src="{bridge.http}/vendor/rasa-webchat.js"></script><script>'
        f'WebChat.default({{socketUrl: "{dialogue.rasa_url}", socketPath: "/socket.io/", embedded: true,'
        ' customData: {kiosk_id: "web"}, params: {storage: "session"}, title: "Guide"},'
        ' document.getElementById("webchat"));</script></body></html>')  # fmt: skip
    server = serve(tmp_path, WEBCHAT_PORT)
    outside = []
    page.on("request", lambda r: outside.append(r.url) if "127.0.0.1" not in r.url else None)
    try:
        page.goto(f"http://127.0.0.1:{WEBCHAT_PORT}/webchat.html")
        box = page.locator("input.rw-new-message, textarea.rw-new-message")
        box.fill("my wife just had a baby, what do I need to do?")
        box.press("Enter")
        page.locator(".rw-response").filter(has_text="newborn").first.wait_for()
        shot(page, "22-rasa-webchat")
    finally:
        server.shutdown()
    assert outside == [], "no request leaves the machine (fonts, CDNs)"
