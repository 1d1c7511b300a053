"""When staff end a conversation (docs/security.md, "Ending conversations"), the kiosk page and the chat widget
clear it, say why in the citizen's language, and carry on with a fresh conversation, in a real Chromium."""

from __future__ import annotations

import json

import httpx
import pytest

from avatar_bridge.web_routes import WEB_DIR
from testkit.browser import ask, shot, start_kiosk

TOKEN = "admin-" + "t" * 40
STRINGS = json.loads((WEB_DIR / "js" / "strings" / "en.json").read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def hall(make_bridge):
    return make_bridge(admin_token=TOKEN)


def end(server, session_id: str) -> dict:
    answer = httpx.post(
        f"{server.http}/admin/sessions/{session_id}/end", headers={"Authorization": f"Bearer {TOKEN}"}, timeout=30
    )
    assert answer.status_code == 200
    return answer.json()


def test_the_kiosk_page_clears_the_conversation_says_why_and_starts_a_fresh_one(page, hall):
    start_kiosk(page, hall)
    ask(page, "how much does a passport cost?")
    ended = page.evaluate("window.lobbyKiosk.client.sessionId")
    page.evaluate("""() => {  // every notice shown from now on, however briefly
        window.notices = [];
        const el = document.getElementById('notice');
        new MutationObserver(() => el.textContent && window.notices.push(el.textContent))
            .observe(el, {childList: true, characterData: true, subtree: true});
    }""")
    assert end(hall, ended) == {"ended": True, "closed_here": True}
    page.wait_for_function(
        f"window.lobbyKiosk.client.ready && window.lobbyKiosk.client.sessionId && "
        f"window.lobbyKiosk.client.sessionId !== {json.dumps(ended)}"
    )
    shot(page, "30-ended-by-staff")
    notices = page.evaluate("window.notices")
    assert notices == [STRINGS["error_ended_by_admin"]]  # not overwritten by "reconnecting" or "connected"
    assert page.locator(".conversation .msg").count() == 0
    assert page.locator("#connection").get_attribute("data-status") == "open"
    ask(page, "what do I need for a passport?")  # the fresh conversation answers
    assert page.locator(".card[data-topic=materials]").count() == 1


def test_the_widget_clears_its_log_says_why_and_answers_again(page, hall):
    page.goto(f"{hall.http}/chat")
    page.get_by_role("button", name="Open chat with the city guide").click()
    page.get_by_role("textbox", name="Type your question").fill("how much does a passport cost?")
    page.get_by_role("button", name="Send").click()
    page.locator(".card .service-link a").wait_for()
    ended = page.evaluate("JSON.parse(sessionStorage.getItem('lobby-guide.widget')).sessionId")
    assert end(hall, ended) == {"ended": True, "closed_here": True}
    page.locator(".msg-bot .msg-text", has_text=STRINGS["error_ended_by_admin"]).wait_for()
    assert page.locator(".msg-user").count() == 0 and page.locator(".card").count() == 0
    shot(page, "31-widget-ended-by-staff")
    page.get_by_role("textbox", name="Type your question").fill("what do I need for a passport?")
    page.get_by_role("button", name="Send").click()
    page.locator('.card[data-topic="materials"]').wait_for()
