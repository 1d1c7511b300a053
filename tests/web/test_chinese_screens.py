"""A Chinese session shows no English: the kiosk, the home page and the widget in Chinese (issue 15 §4).

What a citizen reads is scanned as rendered in a real Chromium: every text node of the page (visible or for
screen readers) and every label, placeholder, title and alt text, minus the citizen's own words. A Latin word in
it is a finding, except what a Chinese service centre writes in Latin too: window and zone codes ("C13", "C区"),
appointment references ("K7M-4PA"), web addresses, the city app's own name ("海港市政务App") and the language
picker's "English".

The cards are the guide's real Chinese answers (actions/replies_zh.py over the Chinese knowledge base): every
topic of every service at a kiosk and at home, opening hours, tickets, appointments, check-in outcomes and a
hand-off, shown on a page whose bridge has no dialogue core. The end-to-end tests then ask through the real
bridge, Rasa and action server: the kiosk's spoken reply highlights Chinese words in the captions, and the
widget follows its host page's language.
"""

from __future__ import annotations

import datetime as dt
import re

import httpx
import pytest

import actions.replies_zh as replies_zh
from avatar_bridge.config import BridgeConfig
from cards import SERVICE_TOPICS, build
from kb import load_knowledge_base
from testkit.browser import ARTIFACTS, TIMEOUT_MS, shot, wait_until_quiet
from testkit.kiosk import BridgeServer
from testkit.servers import free_port
from tests.web.test_widget import serve

TODAY = dt.date(2026, 12, 3)  # a Thursday the hall is open
HAN = re.compile(r"[\u4e00-\u9fff]")
LATIN_WORD = re.compile(r"[A-Za-z]+")
# What a Chinese screen may carry in Latin script (see the module docstring).
ALLOWED = re.compile(
    r"https?://\S+|www\.\S+|[\w.-]+@[\w.-]+\.\w+"  # addresses
    r"|(?<![A-Za-z0-9])[A-Z]{1,3}[0-9][A-Za-z0-9]*(?:-[A-Z0-9]+)?"  # codes: C13, K7M-4PA
    r"|(?<![A-Za-z0-9])[A-Z0-9]{3}-[A-Z0-9]{3}(?![A-Za-z0-9])"  # references starting with a digit: 4PA-K7M
    r"|(?<![A-Za-z])[A-Z](?![A-Za-z])"  # a zone or window letter: C区
    r"|(?<![A-Za-z])App(?![A-Za-z])"  # the city app, as Chinese centres write it: 海港市政务App, App里
)

# Every text a citizen can read or hear from a screen reader, in `root` (a document or a shadow root).
SCREEN_TEXT = r"""
(root) => {
  root = root || document;
  const mine = (el) => el.closest('.msg-user, script, style, #language option[value="en"]');
  const out = [];
  const walker = document.createTreeWalker(root, NodeFilter.SHOW_TEXT);
  while (walker.nextNode()) {
    const node = walker.currentNode;
    if (node.parentElement && !mine(node.parentElement) && node.textContent.trim()) out.push(node.textContent.trim());
  }
  for (const el of root.querySelectorAll('[aria-label], [placeholder], [title], [alt]')) {
    if (mine(el)) continue;
    for (const name of ['aria-label', 'placeholder', 'title', 'alt']) {
      const value = el.getAttribute(name);
      if (value && value.trim()) out.push(value.trim());
    }
  }
  if (root === document) out.push(document.title);
  return out;
}
"""


def english_on_screen(texts: list[str]) -> list[str]:
    """The texts that still hold a Latin word once the allowed codes and addresses are taken out (each once)."""
    return list(dict.fromkeys(text for text in texts if LATIN_WORD.search(ALLOWED.sub(" ", text))))


def test_the_screen_scan_finds_english_and_lets_codes_through():
    """The scan itself: it must be able to fail."""
    assert english_on_screen(["请到C13窗口", "C区（公安户政区）", "预约号：K7M-4PA", "海港市政务App", "12345"]) == []
    assert english_on_screen(["https://service.harbor.example.gov/services/id_card"]) == []
    assert english_on_screen(["Window C13", "办理地点 on your left", "Hotline 12345", "×2 copy"]) == [
        "Window C13", "办理地点 on your left", "Hotline 12345", "×2 copy"]  # fmt: skip


# --- the guide's Chinese cards on the page, without a dialogue core -----------------------------------------------
def chinese_answers() -> dict[str, list[dict]]:
    """bot_messages the actions send in Chinese, at the entrance kiosk and at home (`lobby`)."""
    kb = load_knowledge_base(lang="zh")
    answers: dict[str, list[dict]] = {"entrance": [], "lobby": []}
    location = kb.services["passport_travel_permit"].location.model_dump()
    others = [
        replies_zh.hours_reply(kb, TODAY),
        replies_zh.Reply("", build("ticket", "queue_ticket", {"issued": True, "number": "C042", "zone": "C",
                                                              "floor": 2, "windows": ["C13", "C14"]},
                                   service_id="passport_travel_permit")),
        replies_zh.Reply("", build("appointment", "book_appointment", {"reference": "K7M-4PA", "date": "2026-12-04",
                                   "time": "10:00", "name": "王芳", "location": location,
                                   "visit": replies_zh.visit_fields(kb)}, service_id="passport_travel_permit",
                                   service_name=kb.services["passport_travel_permit"].name)),
        replies_zh.Reply("", build("appointment", "check_in", {"checked_in": True, "reference": "K7M-4PA",
                                   "number": "C043", "zone": "C", "floor": 2, "windows": ["C13"]})),
        replies_zh.Reply("", build("handoff", "human_handoff", {"request_id": 7, "desk": {"name": "咨询台", "floor": 1},
                                   "hotline": kb.hall.hotline})),
        *[replies_zh.Reply("", build("appointment", "check_in", {"checked_in": False, "reason": reason,
                                     "reference": "K7M-4PA"}))
          for reason in ("unknown", "expired", "early", "closed", "not_at_kiosk", "no_reference")],
    ]  # fmt: skip
    for where, kiosk_id in (("entrance", "entrance"), ("lobby", None)):
        for service in kb.services.values():
            for topic in SERVICE_TOPICS:
                reply = replies_zh.service_reply(kb, service, topic, kiosk_id)
                answers[where].append(message(reply))
        answers[where].extend(message(reply) for reply in others)
    return answers


def message(reply) -> dict:
    cards = [reply.card] if reply.card else []
    return {"type": "bot_message", "utterance_id": None, "text": reply.text, "buttons": reply.buttons,
            "card": reply.card, "cards": cards}  # fmt: skip


@pytest.fixture(scope="module")
def page_bridge(engines):
    """The bridge serving the pages and the knowledge base's facts, with no dialogue core behind it."""
    server = BridgeServer(BridgeConfig(port=free_port(), rasa_url=f"http://127.0.0.1:{free_port()}"), engines).start()
    yield server
    server.stop()


@pytest.mark.parametrize("where", ["entrance", "lobby"])
def test_every_chinese_answer_card_and_label_reads_in_chinese(browser, page_bridge, where):
    answers = chinese_answers()[where]
    context = browser.new_context(viewport={"width": 1080, "height": 1920})
    context.set_default_timeout(TIMEOUT_MS)
    page = context.new_page()
    query = "?kiosk=entrance&lang=zh" if where == "entrance" else "?lang=zh"
    page.goto(f"{page_bridge.http}/{'kiosk' if where == 'entrance' else 'lobby'}{query}")
    page.wait_for_selector("body[data-ready]")
    start_screen = page.evaluate(SCREEN_TEXT)
    assert english_on_screen(start_screen) == [], "the start screen, settings and hidden labels"
    page.evaluate("document.getElementById('start-screen').hidden = true; document.getElementById('app').inert = false")
    page.evaluate("(messages) => messages.forEach((m) => window.lobbyKiosk.receive(m))", answers)
    services = page.locator('.card[data-kind="service"][data-service]:not([data-service=""])').count()
    assert services >= len(answers) // 2, "service cards are shown"
    page.wait_for_function(f"document.querySelectorAll('.card-facts').length >= {services}")  # facts fetched
    texts = page.evaluate(SCREEN_TEXT)
    shot(page, f"zh-cards-{where}")
    for topic in ("location", "materials", "hours"):
        card = page.locator(f'.card[data-topic="{topic}"]').first
        card.screenshot(path=str(ARTIFACTS / f"zh-card-{where}-{topic}.png"))
    assert sum(bool(HAN.search(t)) for t in texts) > 500, "the answers, cards and buttons are on screen"
    assert english_on_screen(texts) == []
    facts = page.locator(".card-facts").first.inner_text()
    assert "窗口" in facts and "楼" in facts, facts
    if where == "entrance":
        assert page.locator(".card .qr figcaption").first.inner_text().startswith("扫码")
        directions = page.locator(".card .directions").all_inner_texts()
        assert directions and all(re.search(r"在您(左手边|右手边|正前方|身后)", d) for d in directions), directions
    hours = page.locator('.card[data-topic="hours"] li').all_inner_texts()
    assert hours[0].startswith("周一至周五"), hours
    if where == "lobby":  # the pages the cards link to are in Chinese too
        for link in (".print-link", ".visit a"):
            href = page.locator(f".card {link}").first.get_attribute("href")
            linked = context.new_page()
            linked.goto(href)
            assert HAN.search(linked.inner_text("main")) and linked.evaluate("document.documentElement.lang") == "zh-CN"
            assert english_on_screen(linked.evaluate(SCREEN_TEXT)) == [], href
    context.close()


def test_a_language_the_guide_does_not_offer_is_refused_clearly(page_bridge):
    for path in ("/api/services/passport_travel_permit", "/checklist/passport_travel_permit", "/hall"):
        answer = httpx.get(f"{page_bridge.http}{path}?lang=fr", timeout=30)
        assert answer.status_code == 400 and "not offered" in answer.text, (path, answer.text)
    assert httpx.get(f"{page_bridge.http}/hall?lang=zh", timeout=30).status_code == 200


def test_the_mandarin_home_page_explains_the_microphone_in_chinese(page, page_bridge):
    # A browser that has not been asked yet, whose user then says no (the test browser grants everything).
    page.add_init_script("""navigator.permissions.query = async () => ({state: 'prompt'});
        navigator.mediaDevices.getUserMedia = () =>
            Promise.reject(new DOMException('Permission denied', 'NotAllowedError'));""")
    page.goto(f"{page_bridge.http}/lobby?lang=zh")
    page.get_by_role("button", name="开始咨询").click()
    page.locator("#mic").click()
    consent = page.get_by_role("group", name=re.compile("浏览器会询问"))
    consent.wait_for()
    assert "麦克风" in consent.inner_text() and english_on_screen(page.evaluate(SCREEN_TEXT)) == []
    page.get_by_role("button", name="使用麦克风").click()
    page.wait_for_selector("#notice:has-text('麦克风已被禁用')")
    assert english_on_screen(page.evaluate(SCREEN_TEXT)) == []
    assert page.evaluate("document.activeElement.id") == "question", "typing is offered at once"


def test_errors_and_notices_are_told_in_chinese(page, page_bridge):
    page.goto(f"{page_bridge.http}/kiosk?kiosk=entrance&lang=zh")
    page.wait_for_selector("body[data-ready]")
    for code in ("dialogue_unavailable", "asr_failed", "tts_failed"):
        page.evaluate(f"lobbyKiosk.receive({{type: 'error', code: '{code}', message: 'in English, for the log'}})")
        notice = page.locator("#notice").inner_text()
        assert HAN.search(notice) and english_on_screen([notice]) == [], notice
    page.evaluate("window.lobbyKiosk.receive({type: 'session', reason: 'inactivity', session_id: 'x'})")
    assert "隐私" in page.locator("#notice").inner_text()


def test_when_the_guide_hears_mandarin_the_screen_switches_to_chinese_and_says_so(page, page_bridge):
    page.goto(f"{page_bridge.http}/kiosk?kiosk=entrance&lang=en")
    page.wait_for_selector("body[data-ready]")
    heard = "{type: 'language', language: 'zh', previous: 'en', reason: 'detected', confidence: 0.93}"
    page.evaluate(f"lobbyKiosk.receive({heard})")
    assert page.evaluate("document.documentElement.lang").startswith("zh")
    assert "中文" in page.locator("#notice").inner_text()
    assert english_on_screen(page.evaluate(SCREEN_TEXT)) == []


CAPTION_WATCH = r"""
window.highlighted = [];
new MutationObserver(() => {
  const now = [...document.querySelectorAll('#captions .word.current')].map((w) => w.textContent).join('');
  if (now && window.highlighted.at(-1) !== now) window.highlighted.push(now);
}).observe(document.querySelector('#captions'), {subtree: true, attributes: true, childList: true});
window.notices = [];
new MutationObserver(() => {
  const text = document.querySelector('#notice').textContent;
  if (text) window.notices.push(text);
}).observe(document.querySelector('#notice'), {subtree: true, characterData: true, childList: true});
"""


def ask_and_listen(page, question: str) -> str:
    """Type a question, wait until the spoken answer has been played to its end; the answer's text."""
    answers = page.locator(".msg-bot").count()
    page.get_by_role("textbox", name="请输入您的问题").fill(question)
    page.get_by_role("button", name="发送").click()
    page.wait_for_function(f"document.querySelectorAll('.msg-bot').length > {answers}")
    page.wait_for_function("(() => { const u = [...lobbyKiosk.player.utterances.values()];"
                           " return u.length > 0 && u.every((x) => x.done); })()")  # fmt: skip
    wait_until_quiet(page)
    return page.locator(".msg-bot .msg-text").last.inner_text()


def assert_captions_followed_chinese_words(page, reply: str) -> None:
    """The highlight moved over several Chinese words of the reply, one at a time, not over the whole sentence."""
    highlighted = page.evaluate("window.highlighted")
    chinese = [w for w in highlighted if HAN.search(w)]
    assert len(set(chinese)) >= 3, f"the highlight moves over Chinese words: {highlighted}"
    squeeze = re.sub(r"\s", "", reply)
    assert all(re.sub(r"\s", "", w) in squeeze for w in chinese), (highlighted, reply)
    assert max(len(w) for w in chinese) < len(squeeze) / 2, "words are highlighted, not the whole sentence"
    caption = page.locator("#captions").inner_text()
    assert not re.search(r"[\u4e00-\u9fff]\s+[\u4e00-\u9fff]", caption), f"no spaces between Chinese words: {caption!r}"


def test_when_the_guide_cannot_answer_a_chinese_session_hears_why_in_chinese_with_captions(page, page_bridge):
    """No dialogue core behind this bridge: the apology is Chinese, spoken, and its captions follow the voice."""
    page.goto(f"{page_bridge.http}/kiosk?kiosk=entrance&lang=zh")
    page.get_by_role("button", name="轻触开始").click()
    page.wait_for_selector('#connection[data-status="open"]')
    page.evaluate(CAPTION_WATCH)
    reply = ask_and_listen(page, "办护照要带什么材料")
    assert HAN.search(reply) and english_on_screen([reply]) == [], reply
    notices = page.evaluate("window.notices")
    assert any("咨询台" in n for n in notices), f"the error notice says what to do, in Chinese: {notices}"
    assert_captions_followed_chinese_words(page, reply)
    assert english_on_screen(page.evaluate(SCREEN_TEXT)) == []


# --- end to end: real bridge, Rasa and action server ---------------------------------------------------------------
@pytest.fixture(scope="module")
def chinese_dialogue(dialogue):
    """The dialogue core after one Chinese turn: its first Chinese answer loads the Chinese knowledge base and
    warms the models, which on a loaded machine can outlast the bridge's per-turn timeout."""
    turn = {"sender": "warm-zh", "message": "办护照要带什么材料", "metadata": {"language": "zh"}}
    reply = httpx.post(f"{dialogue.rasa_url}/webhooks/rest/webhook", json=turn, timeout=300)
    reply.raise_for_status()
    return dialogue


def test_a_chinese_conversation_at_the_kiosk_shows_no_english_and_the_captions_follow_the_chinese_words(
    page, bridge, chinese_dialogue
):
    page.goto(f"{bridge.http}/kiosk?kiosk=entrance&lang=zh")
    page.get_by_role("button", name="轻触开始").click()
    page.wait_for_selector('#connection[data-status="open"]')
    page.evaluate(CAPTION_WATCH)
    reply = ask_and_listen(page, "办护照要带什么材料")
    assert "护照" in reply or "出入境" in reply, reply
    assert_captions_followed_chinese_words(page, reply)
    page.get_by_role("button", name="去哪里办").click()
    page.locator('.card[data-topic="location"] .card-facts').wait_for()
    wait_until_quiet(page)
    shot(page, "zh-kiosk-conversation")
    assert english_on_screen(page.evaluate(SCREEN_TEXT)) == []


@pytest.fixture
def chinese_host_page(make_bridge, tmp_path):
    """A Chinese page of another site that embeds the widget without data-language, and can switch to English;
    the bridge lists that site in its allowed origins, as a city lists its website (docs/security.md)."""
    port = free_port()
    bridge = make_bridge(allowed_origins=f"http://localhost:{port}")
    (tmp_path / "news.html").write_text(
        '<!doctype html><html lang="zh-CN"><head><meta charset="utf-8"><title>海港市新闻</title></head><body><main>'
        '<h1>海港市新闻</h1><p>十二月起开放时间调整。</p></main>'
        f'<script src="{bridge.http}/widget.js" async></script></body></html>', encoding="utf-8")  # fmt: skip
    server = serve(tmp_path, port)
    yield f"http://localhost:{port}/news.html"
    server.shutdown()


WIDGET_TEXT = f"(() => ({SCREEN_TEXT})(document.querySelector('#lobby-guide-widget').shadowRoot))()"


def test_the_widget_speaks_its_pages_language_and_follows_it(page, chinese_host_page, chinese_dialogue):
    page.goto(chinese_host_page)
    page.get_by_role("button", name="在线咨询").click()
    page.get_by_role("textbox", name="请输入您的问题").fill("办护照要带什么材料")
    page.get_by_role("button", name="发送").click()
    card = page.locator('.card[data-service="passport_travel_permit"]')
    card.wait_for()
    page.locator(".card .card-facts").first.wait_for()
    assert HAN.search(card.inner_text())
    replies = page.locator(".quick-replies button").all_inner_texts()
    assert replies and all(HAN.search(r) for r in replies), replies
    texts = page.evaluate(WIDGET_TEXT)
    shot(page, "zh-widget")
    assert english_on_screen(texts) == []
    page.evaluate("document.documentElement.lang = 'en'")  # the site switches to English
    page.get_by_role("textbox", name="Type your question").wait_for()
    assert page.get_by_role("button", name="Send").is_visible()
    page.get_by_role("textbox", name="Type your question").fill("how much does a passport cost?")
    page.get_by_role("button", name="Send").click()
    page.locator('.card[data-topic="fee"]').wait_for()
    assert "Fee" in page.locator('.card[data-topic="fee"]').inner_text()


PIECES = r"""
async ([display, words]) => {
  const { captionPieces } = await import('/static/js/captions.js');
  return captionPieces(display, words.map((word) => ({ word })));
}
"""


def pieces(page, display: list[tuple[str, int | None, int | None]], words: list[str]) -> list[tuple[str, str, list]]:
    got = page.evaluate(PIECES, [[{"word": w, "first": a, "last": b} for w, a, b in display], words])
    return [(p["sep"], p["text"], p["words"]) for p in got]


def test_caption_pieces_are_the_words_the_timeline_names_with_or_without_spaces(page, page_bridge):
    page.goto(f"{page_bridge.http}/kiosk?lang=zh")
    page.wait_for_selector("body[data-ready]")
    # one token per character (this bridge): the characters of one spoken word are one piece, no spaces
    per_char = [("办", 0, 0), ("理", 0, 0), ("护", 1, 1), ("照", 1, 1), ("请", 2, 2), ("到", 3, 3), ("C13", 4, 5),
                ("窗", 6, 6), ("口。", 6, 6)]  # fmt: skip
    assert pieces(page, per_char, ["办理", "护照", "请", "到", "C", "十三", "窗口"]) == [
        ("", "办理", [0]), ("", "护照", [1]), ("", "请", [2]), ("", "到", [3]), ("", "C13", [4, 5]),
        ("", "窗口。", [6])]  # fmt: skip
    # a whole clause as one token (an older bridge): cut where each spoken word is found, the rest goes along
    clause = [("办理护照请到C13窗口。", 0, 6)]
    assert pieces(page, clause, ["办理", "护照", "请", "到", "C", "十三", "窗口"]) == [
        ("", "办理", [0]), ("", "护照", [1]), ("", "请", [2]), ("", "到", [3]), ("", "C", [4]), ("", "13", [5]),
        ("", "窗口。", [6])]  # fmt: skip
    # English keeps its spaces, and a token two words say is highlighted whole, as written
    english = [("Go", 0, 0), ("to", 1, 1), ("Window", 2, 2), ("C13", 3, 4), ("¥120.", 5, 9)]
    said = ["Go", "to", "Window", "C", "thirteen", "one", "hundred", "and", "twenty", "yuan"]
    assert pieces(page, english, said) == [
        ("", "Go", [0]),
        (" ", "to", [1]),
        (" ", "Window", [2]),
        (" ", "C13", [3, 4]),
        (" ", "¥120.", [5, 6, 7, 8, 9]),
    ]
