"""The kiosk page in a real Chromium, through the real bridge, Rasa and action server (issue 5 §5)."""

from __future__ import annotations

import json

from testkit.browser import ROOT, ask, shot, start_kiosk, wait_until_quiet
from testkit.kiosk import BridgeServer

AXE = ROOT / "node_modules" / "axe-core" / "axe.min.js"


def serious_violations(page) -> list[dict]:
    page.add_script_tag(path=str(AXE))
    result = page.evaluate("axe.run(document, {resultTypes: ['violations']})")
    return [{"id": v["id"], "impact": v["impact"], "nodes": [n["target"] for n in v["nodes"]][:3]}
            for v in result["violations"] if v["impact"] in ("serious", "critical")]  # fmt: skip


def box(page, selector: str) -> dict:
    return page.locator(selector).bounding_box()


def test_touch_to_start_connects_the_guide_in_landscape_and_portrait(page, bridge):
    page.goto(f"{bridge.http}/kiosk?kiosk=entrance")
    start = page.get_by_role("button", name="Touch to start")
    page.wait_for_selector("svg.avatar-svg")
    shot(page, "01-touch-to-start")
    start.click()
    page.wait_for_selector('#connection[data-status="open"]')
    assert not page.locator("#start-screen").is_visible()
    assert page.locator("#state").inner_text() == "Ready"
    stage, talk = box(page, ".stage"), box(page, ".talk")
    assert stage["x"] + stage["width"] <= talk["x"], "landscape: the guide beside the conversation"
    shot(page, "02-landscape-ready")
    page.set_viewport_size({"width": 1080, "height": 1920})
    stage, talk = box(page, ".stage"), box(page, ".talk")
    assert stage["y"] + stage["height"] <= talk["y"], "portrait: the guide above the conversation"
    shot(page, "03-portrait-ready")


def test_typed_question_gets_captions_and_a_materials_checklist_from_the_kb(page, bridge, kb):
    start_kiosk(page, bridge)
    ask(page, "what do I need to bring for a passport?")
    card = page.locator('.card[data-service="passport_travel_permit"][data-topic="materials"]')
    items = card.locator(".checklist li .item-name").all_inner_texts()
    assert items == [m.name for m in kb.services["passport_travel_permit"].materials]
    assert "passport" in page.locator("#captions").inner_text().lower()
    assert card.locator(".qr svg").count() == 1, "the card has a QR code to the service's page"
    assert "C13" in card.locator(".facts").inner_text(), "the card shows the window from the KB"
    shot(page, "04-materials-card")


def test_mouth_moves_while_the_guide_speaks_and_rests_after(page, bridge):
    start_kiosk(page, bridge)
    page.evaluate("""() => {
        window.mouthShapes = new Set(); window.captionWords = new Set();
        const lips = document.querySelector('svg.avatar-svg .lips');
        new MutationObserver(() => window.mouthShapes.add(lips.getAttribute('d')))
            .observe(lips, {attributes: true, attributeFilter: ['d']});
        new MutationObserver(() => {
            const w = document.querySelector('#captions .word.current'); if (w) window.captionWords.add(w.textContent);
        }).observe(document.querySelector('#captions'), {subtree: true, attributes: true, childList: true});
    }""")
    page.get_by_role("textbox", name="Type your question").fill("how much does a passport cost?")
    page.get_by_role("button", name="Send").click()
    page.wait_for_selector('svg.avatar-svg[data-viseme]:not([data-viseme="sil"])')
    shot(page, "05-speaking")
    wait_until_quiet(page)
    page.wait_for_selector('svg.avatar-svg[data-viseme="sil"][data-mouth-open="0.00"]')
    assert page.evaluate("window.mouthShapes.size") > 10, "the mouth takes many shapes while speaking"
    assert page.evaluate("window.captionWords.size") > 3, "the caption highlights the word being spoken"
    resting = page.evaluate("({...document.querySelector('svg.avatar-svg').dataset})")
    assert (resting["viseme"], resting["mouthOpen"]) == ("sil", "0.00"), "the mouth is back at rest, closed"


def test_asking_where_a_window_is_makes_the_guide_point(page, bridge):
    start_kiosk(page, bridge)
    page.get_by_role("textbox", name="Type your question").fill("where is the passport window?")
    page.get_by_role("button", name="Send").click()
    page.wait_for_selector('svg.avatar-svg[data-gesture^="point_"]')
    shot(page, "06-pointing")
    card = page.locator('.card[data-topic="location"]')
    assert "C13" in card.inner_text()
    wait_until_quiet(page)


def test_quick_reply_button_sends_its_payload_and_gets_the_follow_up(page, bridge):
    start_kiosk(page, bridge)
    ask(page, "how long does a passport take?")
    page.locator(".msg-bot").last.get_by_role("button", name="Where to go").click()
    page.wait_for_selector('.card[data-service="passport_travel_permit"][data-topic="location"]')
    assert page.locator(".msg-user").last.inner_text().endswith("Where to go")
    wait_until_quiet(page)
    for button in page.locator(".quick-reply").all():
        assert button.bounding_box()["height"] >= 48 and button.bounding_box()["width"] >= 48
    shot(page, "07-follow-up")


def test_elderly_mode_enlarges_text_and_is_kept_after_reload(page, bridge):
    start_kiosk(page, bridge)
    size = "() => parseFloat(getComputedStyle(document.querySelector('#captions')).fontSize)"
    chat_size = "() => parseFloat(getComputedStyle(document.querySelector('.msg-text')).fontSize)"
    before, chat_before = page.evaluate(size), page.evaluate(chat_size)
    page.get_by_role("button", name="Larger text and slower speech").click()
    assert page.evaluate(size) >= 1.5 * before and page.evaluate(chat_size) >= 1.5 * chat_before
    shot(page, "08-elderly")
    page.reload()
    start_kiosk(page, bridge)
    assert page.get_by_role("button", name="Larger text and slower speech").get_attribute("aria-pressed") == "true"
    assert page.evaluate(size) >= 1.5 * before


def test_high_contrast_and_language_are_settings(page, bridge):
    start_kiosk(page, bridge)
    page.get_by_role("button", name="High contrast").click()
    assert "high-contrast" in page.evaluate("document.documentElement.className")
    page.get_by_label("Language").select_option("zh")
    assert page.locator("#send").inner_text() == "发送"
    shot(page, "09-contrast-chinese")


def test_keyboard_alone_reaches_every_control(page, bridge):
    page.goto(f"{bridge.http}/kiosk?kiosk=entrance")
    page.wait_for_selector("body[data-ready]")
    page.keyboard.press("Enter")  # the start button has the focus
    page.wait_for_selector('#connection[data-status="open"]')
    page.keyboard.type("what do I need for a passport?")
    page.keyboard.press("Enter")
    page.wait_for_selector(".quick-reply")
    wait_until_quiet(page)
    controls = page.evaluate("""() => [...document.querySelectorAll('#app button, #app input, #app select')]
        .filter(e => e.offsetParent !== null && !e.disabled).map(e => e.id || e.textContent.trim())""")
    reached = set()
    for _ in range(len(controls) * 2 + 5):
        page.keyboard.press("Tab")
        reached.add(page.evaluate("(document.activeElement.id || document.activeElement.textContent.trim())"))
    assert set(controls) <= reached, f"not reachable by Tab: {set(controls) - reached}"
    missing = page.evaluate("""() => [...document.querySelectorAll('#app button, #app input, #app select')]
        .filter(e => !(e.getAttribute('aria-label') || e.labels?.length || e.textContent.trim())).map(e => e.id)""")
    assert missing == [], "every control has a name for screen readers"


def test_kiosk_has_no_serious_accessibility_violations(page, bridge):
    start_kiosk(page, bridge)
    ask(page, "what do I need to bring for a passport?")
    page.wait_for_selector(".card .qr svg")
    assert serious_violations(page) == []
    page.get_by_role("button", name="High contrast").click()
    assert serious_violations(page) == []


def test_connection_drop_keeps_the_conversation_and_recovers(browser, make_bridge, engines):
    first = make_bridge()
    page = browser.new_page()
    again = None
    try:
        start_kiosk(page, first)
        ask(page, "how much does a passport cost?")
        before = page.locator(".conversation").inner_text()
        first.stop()  # the bridge goes away: the websocket drops
        page.wait_for_selector('#connection[data-status="reconnecting"]')
        shot(page, "10-reconnecting")
        assert page.locator(".conversation").inner_text() == before
        again = BridgeServer(first.config, engines).start()  # back on the same address
        page.wait_for_selector('#connection[data-status="open"]')
        assert page.locator(".conversation").inner_text().startswith(before)
        ask(page, "what do I need for a passport?")
        assert page.locator(".card[data-topic=materials]").count() == 1
        shot(page, "11-reconnected")
    finally:
        page.close()
        if again:
            again.stop()


def test_voice_turn_from_the_fake_microphone_is_transcribed_and_answered(page, bridge):
    start_kiosk(page, bridge)
    mic = page.get_by_role("button", name="Hold to talk (or tap to start and stop)")
    mic.click()  # a tap: listen until the next tap
    page.wait_for_selector('#state[data-state="listening"]')
    shot(page, "12-listening")
    page.wait_for_timeout(3500)  # the length of the recorded question; the fake microphone plays it
    mic.click()
    transcript = page.locator(".msg-transcript")
    transcript.wait_for()
    assert "passport" in transcript.inner_text().lower(), json.dumps(transcript.inner_text())
    page.wait_for_selector('.card[data-service="passport_travel_permit"]')
    wait_until_quiet(page)
    shot(page, "13-voice-answered")
