"""What a citizen sees of the guide's gestures (issue 12), measured in a real Chromium.

The geometry tests open the kiosk page from a bridge that has no dialogue behind it (only the page and its
avatar are needed), take over the avatar's clock (`lobbyKiosk.manualClock`) and call the renderer's
`playGesture` directly, so every pose is measured at a known moment: at rest, at the peak of the gesture,
and after it. What is measured is what is drawn: the hands' and head's boxes from the SVG geometry
(`getBoundingClientRect` of the hand groups, eyes for the head's tilt), never the event log. Regions are
relative to the avatar's own shoulders and head at rest, in units of its shoulder width (W).

Screenshots of every gesture at its peak go to artifacts/web/gestures/ (the gesture strip in docs/web.md is
built from them: `make gesture-strip`). The end-to-end tests at the bottom go through the real bridge, Rasa and
action server: counting on the fingers with the spoken items, the floor sign, captions as written.
"""

from __future__ import annotations

import math

import pytest

from avatar_bridge.config import BridgeConfig
from testkit.browser import ARTIFACTS, TIMEOUT_MS, ask, start_kiosk, wait_until_quiet
from testkit.kiosk import BridgeServer
from testkit.servers import free_port

GESTURES = ["idle", "wave", "nod", "shake", "point_left", "point_right", "point_forward", "count", "open_palms",
            "think", "apologetic", "thumbs_up", "listen"]  # fmt: skip
LAYOUTS = {"portrait": (1080, 1920), "landscape": (1920, 1080)}
SHOTS = ARTIFACTS / "gestures"
HELD = ("think", "listen")  # held until the next cue (duration 0)
CYCLE_MS = {"wave": 1500, "nod": 800, "shake": 800, "count": 500}  # gestures that repeat a movement
PEAK_MS = {"wave": 375, "nod": 1040, "shake": 1160, "count": 675}  # a moment of full extension, for screenshots
DURATION_MS = 3000  # long enough to sample a few cycles; the pose at the peak does not depend on it
TOLERANCE_W = 0.08  # idle breathing and sway move a hand by a few units; a gesture moves it by a shoulder width

LAB = """
window.gestureLab = {
  t: 1e6,
  avatar() { return window.lobbyKiosk.avatar; },
  point(el, x, y) { const p = new DOMPoint(x, y).matrixTransform(el.getScreenCTM()); return [p.x, p.y]; },
  box(el) { const r = el.getBoundingClientRect(); return {x: r.x, y: r.y, w: r.width, h: r.height,
    cx: r.x + r.width / 2, cy: r.y + r.height / 2, right: r.right, bottom: r.bottom}; },
  look() {
    const svg = document.querySelector('svg.avatar-svg');
    const vb = svg.viewBox.baseVal, m = svg.getScreenCTM();
    const tl = new DOMPoint(vb.x, vb.y).matrixTransform(m);
    const br = new DOMPoint(vb.x + vb.width, vb.y + vb.height).matrixTransform(m);
    const el = svg.getBoundingClientRect();
    const frame = {x: Math.max(tl.x, el.x, 0), y: Math.max(tl.y, el.y, 0),
      right: Math.min(br.x, el.right, innerWidth), bottom: Math.min(br.y, el.bottom, innerHeight)};
    const hand = (k) => svg.querySelector(`.hand[data-arm=${k}]`);
    const eyes = [...svg.querySelectorAll('.eye ellipse')].map((e) => this.box(e));
    const thumbShape = hand('b').querySelector(':scope > [data-shape=thumb] > .fill');
    return {
      frame, gesture: svg.dataset.gesture,
      hands: {a: this.box(hand('a')), b: this.box(hand('b'))},
      shapes: {a: hand('a').dataset.hand, b: hand('b').dataset.hand},
      shoulders: {a: this.point(svg.querySelector('.arm-a line'), 0, 0),
                  b: this.point(svg.querySelector('.arm-b line'), 0, 0)},
      head: this.box(svg.querySelector('.head')),
      eyes: eyes.map((e) => [e.cx, e.cy]),
      raised: [...hand('b').querySelectorAll('.count-finger .raised')]
        .filter((f) => f.getAttribute('display') !== 'none').length,
      thumb: thumbShape
        ? {tip: this.box(thumbShape.lastElementChild), fist: this.box(thumbShape.firstElementChild)} : null,
    };
  },
  rest() {
    const a = this.avatar();
    this.t += 10000; a.update(this.t); a.playGesture('idle', {}); a.update(this.t += 100); a.update(this.t += 400);
    return this.look();
  },
  play(name, opts) { this.start = this.t; this.avatar().playGesture(name, opts); },
  at(ms) { this.avatar().update(this.start + ms); this.t = Math.max(this.t, this.start + ms); return this.look(); },
  release() { this.avatar().release(); },
};
"""


@pytest.fixture(scope="module")
def page_bridge(engines):  # noqa: F811 (the shared session fixture)
    """The bridge serving the kiosk page, with no dialogue core behind it: the avatar needs none."""
    server = BridgeServer(BridgeConfig(port=free_port(), rasa_url=f"http://127.0.0.1:{free_port()}"), engines).start()
    yield server
    server.stop()


def open_lab(browser, server, size):
    context = browser.new_context(viewport={"width": size[0], "height": size[1]})
    context.set_default_timeout(TIMEOUT_MS)
    page = context.new_page()
    page.goto(f"{server.http}/kiosk?kiosk=entrance")
    page.wait_for_selector("body[data-ready]")
    page.evaluate("document.getElementById('start-screen').hidden = true; window.lobbyKiosk.manualClock = true")
    page.evaluate(LAB)
    return context, page


@pytest.fixture(scope="module", params=list(LAYOUTS))
def lab(request, browser, page_bridge):
    context, page = open_lab(browser, page_bridge, LAYOUTS[request.param])
    yield request.param, page
    context.close()


# --- what a person would see -------------------------------------------------------------------------------
def width(look) -> float:
    return look["shoulders"]["b"][0] - look["shoulders"]["a"][0]


def inside(box, frame) -> bool:
    return (box["x"] >= frame["x"] - 0.5 and box["y"] >= frame["y"] - 0.5 and box["right"] <= frame["right"] + 0.5
            and box["bottom"] <= frame["bottom"] + 0.5)  # fmt: skip


def moved(box, rest, w) -> float:
    return max(abs(box["cx"] - rest["cx"]), abs(box["cy"] - rest["cy"]), abs(box["w"] - rest["w"])) / w


def tilt_deg(look) -> float:
    (x1, y1), (x2, y2) = look["eyes"]
    return math.degrees(math.atan2(y2 - y1, x2 - x1))


def area(box) -> float:
    return box["w"] * box["h"]


def check_peak(name: str, peak: dict, rest: dict, samples: list[dict]) -> None:
    """The gesture's hands (or head) are where a person expects them at the peak."""
    w = width(rest)
    (sax, say), (sbx, sby) = rest["shoulders"]["a"], rest["shoulders"]["b"]
    a, b = peak["hands"]["a"], peak["hands"]["b"]
    ra, rb = rest["hands"]["a"], rest["hands"]["b"]
    head = rest["head"]
    chin = (head["cx"], head["bottom"])
    if name == "idle":
        assert moved(a, ra, w) < TOLERANCE_W and moved(b, rb, w) < TOLERANCE_W
    elif name == "wave":
        for s in samples:  # all through the wave, the hand is up beside the head
            assert s["hands"]["b"]["bottom"] < sby, "the waving hand is above the shoulder"
            assert s["hands"]["b"]["cx"] > head["cx"], "on the guide's left (screen right)"
        xs = [s["hands"]["b"]["cx"] for s in samples]
        assert (max(xs) - min(xs)) / w > 0.2, "the hand swings from side to side"
    elif name == "point_left":
        assert a["cx"] < sax - w, "the hand is far out to the screen's left"
        assert abs(a["cy"] - say) < 0.4 * w, "at shoulder height"
        assert peak["shapes"]["a"] == "point"
    elif name == "point_right":
        assert b["cx"] > sbx + w, "the hand is far out to the screen's right"
        assert abs(b["cy"] - sby) < 0.4 * w, "at shoulder height"
        assert peak["shapes"]["b"] == "point"
    elif name == "point_forward":
        assert sax < b["cx"] < sbx, "in front of the body, toward the viewer"
        assert say - 0.3 * w < b["cy"] < say + 0.6 * w, "at chest height"
        assert area(b) > 1.8 * area(rb), "nearer the viewer: the hand looks bigger"
        assert peak["shapes"]["b"] == "point_at"
    elif name == "count":
        assert b["bottom"] < sby + 0.1 * w and b["cx"] > sbx, "the counting hand is raised beside the head"
        assert area(b) > 1.5 * area(rb), "large enough to count on from 2 m"
    elif name == "open_palms":
        assert a["cx"] < sax - 0.5 * w and b["cx"] > sbx + 0.5 * w, "both hands open out to the sides"
        assert a["cy"] < say + 0.3 * w and b["cy"] < sby + 0.3 * w, "at chest height"
        assert peak["shapes"] == {"a": "palm", "b": "palm"}
    elif name == "think":
        assert math.dist((b["cx"], b["cy"]), chin) < 0.4 * w, "hand to chin"
        assert abs(tilt_deg(peak)) > 3, "head tilted"
    elif name == "apologetic":
        assert a["cx"] < sax - 0.3 * w and b["cx"] > sbx + 0.3 * w, "forearms out, palms up"
        assert a["cy"] < ra["cy"] - 0.3 * w and b["cy"] < rb["cy"] - 0.3 * w, "hands raised from rest"
        assert abs(tilt_deg(peak)) > 4, "head tilted"
    elif name == "thumbs_up":
        assert b["bottom"] < sby + 0.1 * w and b["cx"] > sbx, "the hand is raised beside the head"
        assert area(b) > 1.5 * area(rb)
        assert peak["thumb"]["tip"]["cy"] < peak["thumb"]["fist"]["cy"], "the thumb points up"
    elif name == "nod":
        drops = [s["head"]["cy"] - head["cy"] for s in samples]
        assert max(drops) / w > 0.05, "the head dips visibly"
        assert min(drops) / w < 0.02, "and comes back up"
    elif name == "shake":
        face_x = (rest["eyes"][0][0] + rest["eyes"][1][0]) / 2
        turns = [(s["eyes"][0][0] + s["eyes"][1][0]) / 2 - face_x for s in samples]
        assert max(turns) / w > 0.05 and min(turns) / w < -0.05, "the face turns to both sides"
    elif name == "listen":
        assert abs(tilt_deg(peak)) > 5, "head tilted toward the citizen"
        assert a["y"] < head["bottom"] and a["cx"] < head["cx"], "hand up to the ear"
    else:  # pragma: no cover - a gesture without expectations must not pass silently
        raise AssertionError(f"no expectation for {name}")


@pytest.mark.parametrize("name", GESTURES)
def test_each_gesture_is_visible_inside_the_frame_and_returns_to_rest(lab, name):
    layout, page = lab
    rest = page.evaluate("gestureLab.rest()")
    for hand in rest["hands"].values():
        assert inside(hand, rest["frame"]), f"{layout}: at rest both hands are inside the frame"
    lowest_rest = rest["shoulders"]["a"][1] + 0.5 * width(rest)
    assert min(h["cy"] for h in rest["hands"].values()) > lowest_rest, "hands rest low, by the sides"
    duration = 0 if name in HELD else DURATION_MS
    page.evaluate("([n, d]) => gestureLab.play(n, {durationMs: d, beat: 3})", [name, duration])
    cycle = CYCLE_MS.get(name, 0)
    samples = [page.evaluate("(ms) => gestureLab.at(ms)", 300 + ms) for ms in range(0, cycle + 1, 50)] if cycle else []
    peak = page.evaluate("(ms) => gestureLab.at(ms)", PEAK_MS.get(name, 900))
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.locator("#avatar").screenshot(path=str(SHOTS / f"{layout}-{GESTURES.index(name):02d}-{name}.png"))
    for s in [peak, *samples]:
        for key, hand in s["hands"].items():
            assert inside(hand, s["frame"]), f"{layout} {name}: hand {key} leaves the frame: {hand} {s['frame']}"
    assert peak["gesture"] == name
    check_peak(name, peak, rest, samples)
    if name in HELD:
        held = page.evaluate("gestureLab.at(5000)")
        assert moved(held["hands"]["a"], peak["hands"]["a"], width(rest)) < TOLERANCE_W, "held until released"
        assert moved(held["hands"]["b"], peak["hands"]["b"], width(rest)) < TOLERANCE_W, "held until released"
        page.evaluate("gestureLab.release()")
        after = page.evaluate("gestureLab.at(5000 + 600)")
    else:
        after = page.evaluate(f"gestureLab.at({DURATION_MS + 2000})")
    assert after["gesture"] == "idle", "the gesture is over"
    for key in "ab":
        assert moved(after["hands"][key], rest["hands"][key], width(rest)) < TOLERANCE_W, f"hand {key} is back at rest"
    assert abs(tilt_deg(after) - tilt_deg(rest)) < 1.5, "the head is upright again"


def test_counting_raises_one_more_finger_per_beat(lab):
    layout, page = lab
    page.evaluate("gestureLab.rest()")
    raised = []
    for beat in range(1, 6):
        page.evaluate("(b) => gestureLab.play('count', {durationMs: 500, beat: b})", beat)
        look = page.evaluate("gestureLab.at(400)")
        raised.append(look["raised"])
        if beat == 3:
            page.locator("#avatar").screenshot(path=str(SHOTS / f"{layout}-count-3.png"))
    assert raised == [1, 2, 3, 4, 5]


def test_the_counting_hand_stays_up_between_items_and_comes_down_after_the_last(lab):
    _, page = lab
    rest = page.evaluate("gestureLab.rest()")
    page.evaluate("gestureLab.play('count', {durationMs: 500, beat: 1})")
    between = page.evaluate("gestureLab.at(1200)")  # the next item has not been spoken yet
    assert between["gesture"] == "count"
    assert between["hands"]["b"]["bottom"] < rest["shoulders"]["b"][1] + 0.1 * width(rest), "still raised"
    after = page.evaluate("gestureLab.at(3000)")
    assert after["gesture"] == "idle"
    assert moved(after["hands"]["b"], rest["hands"]["b"], width(rest)) < TOLERANCE_W


def test_a_gesture_eases_in_and_out_rather_than_jumping(lab):
    _, page = lab
    rest = page.evaluate("gestureLab.rest()")
    page.evaluate("gestureLab.play('point_right', {durationMs: 1600})")
    path = [page.evaluate("(ms) => gestureLab.at(ms)", ms)["hands"]["b"]["cx"] for ms in range(0, 1700, 20)]
    steps = [abs(b - a) for a, b in zip(path, path[1:], strict=False)]
    travel = max(path) - rest["hands"]["b"]["cx"]
    assert travel > width(rest), "the hand travels out"
    assert max(steps) < 0.25 * travel, "in several frames, not in one jump"


def test_idle_pose_breathes_and_sways(lab):
    _, page = lab
    page.evaluate("gestureLab.rest()")
    heads = [page.evaluate("(ms) => gestureLab.at(ms)", ms)["head"] for ms in range(0, 8000, 500)]
    xs, ys = [h["cx"] for h in heads], [h["cy"] for h in heads]
    assert max(xs) - min(xs) > 1 and max(ys) - min(ys) > 1, "the idle guide is never a still picture"
    assert max(xs) - min(xs) < 30 and max(ys) - min(ys) < 15, "but it does not wander"


def test_floor_sign_shows_arrow_and_floor_on_the_avatar(lab):
    layout, page = lab
    page.evaluate("gestureLab.rest()")
    page.evaluate("lobbyKiosk.avatar.showSign({floor: 2, change: 1, label: 'Floor 2', hint: 'take the lift up'})")
    sign = page.locator("svg.avatar-svg .floor-sign")
    assert sign.is_visible() and "Floor 2" in sign.text_content()
    box = page.evaluate("gestureLab.box(document.querySelector('svg.avatar-svg .floor-sign'))")
    look = page.evaluate("gestureLab.look()")
    assert inside(box, look["frame"]), "the sign is inside the frame"
    panel = page.evaluate("gestureLab.box(document.querySelector('svg.avatar-svg .floor-panel'))")
    for text in ("floor-text", "floor-hint"):
        text_box = page.evaluate(f"gestureLab.box(document.querySelector('svg.avatar-svg .{text}'))")
        assert inside(text_box, panel), f"the {text} fits on the sign"
    page.evaluate("gestureLab.play('idle', {})")
    for ms in range(0, 8000, 250):  # through the idle sway
        head = page.evaluate("(ms) => gestureLab.at(ms)", ms)["head"]
        assert panel["right"] < head["x"], "the sign does not cover the face"
    assert page.locator("svg.avatar-svg").get_attribute("data-floor-sign") == "up 2"
    page.locator("#avatar").screenshot(path=str(SHOTS / f"{layout}-floor-sign.png"))
    page.evaluate("lobbyKiosk.avatar.hideSign()")
    assert not sign.is_visible()


# --- through the real dialogue ----------------------------------------------------------------------------
WATCH = """() => {
  const svg = document.querySelector('svg.avatar-svg');
  window.seen = {raised: [], gestures: [], current: [], captions: new Set()};
  const fingers = () => [...svg.querySelectorAll('.hand[data-arm=b] .count-finger .raised')]
    .filter((f) => f.getAttribute('display') !== 'none').length;
  const avatar = window.lobbyKiosk.avatar, play = avatar.playGesture.bind(avatar);
  avatar.playGesture = (name, opts) => {  // what is drawn right after each cue (frames may batch two cues)
    play(name, opts);
    window.seen.gestures.push(name);
    if (name === 'count') window.seen.raised.push(fingers());
  };
  new MutationObserver(() => {
    const w = document.querySelector('#captions .word.current'); if (w) window.seen.current.push(w.textContent);
    window.seen.captions.add(document.querySelector('#captions').textContent);
  }).observe(document.querySelector('#captions'), {subtree: true, attributes: true, childList: true});
}"""


def test_listing_materials_counts_one_more_finger_per_item_as_it_is_spoken(page, bridge, kb):
    start_kiosk(page, bridge)
    page.evaluate(WATCH)
    ask(page, "what do I need to bring for a passport?")
    items = len(kb.services["passport_travel_permit"].materials)
    raised = page.evaluate("window.seen.raised")
    assert raised[: min(items, 5)] == list(range(1, min(items, 5) + 1)), raised
    page.wait_for_selector('svg.avatar-svg[data-gesture="idle"]')  # back at rest once the speech is over


def test_directions_to_another_floor_show_a_floor_sign_on_card_and_avatar(page, bridge, kb):
    start_kiosk(page, bridge)  # the entrance kiosk is on floor 1
    page.get_by_role("textbox", name="Type your question").fill("where is the passport window?")
    page.get_by_role("button", name="Send").click()
    card = page.locator('.card[data-topic="location"]')
    floor = kb.services["passport_travel_permit"].location.floor
    sign = card.locator(".floor-sign")
    sign.wait_for()
    assert f"Floor {floor}" in sign.inner_text() and "lift" in sign.inner_text()
    assert sign.get_attribute("data-floor-change") == str(floor - 1)
    avatar_sign = page.locator("svg.avatar-svg .floor-sign")
    assert avatar_sign.is_visible() and f"Floor {floor}" in avatar_sign.text_content()
    page.wait_for_selector('svg.avatar-svg[data-gesture^="point_"]')
    page.locator(".stage").screenshot(path=str(ARTIFACTS / "gestures-floor-sign-kiosk.png"))
    wait_until_quiet(page)
    page.wait_for_selector('svg.avatar-svg[data-gesture="idle"]')


def test_captions_show_the_window_as_written_while_the_voice_says_it(page, bridge):
    start_kiosk(page, bridge)
    page.evaluate(WATCH)
    ask(page, "where is the passport window?")
    spoken = page.evaluate("[...lobbyKiosk.player.utterances.values()].flatMap((u) => u.words.map((w) => w.word))")
    assert "thirteen" in [w.lower() for w in spoken], "the voice says 'C thirteen'"
    captions = " ".join(page.evaluate("[...window.seen.captions]"))
    assert "C13" in captions and "thirteen" not in captions.lower(), "captions show what the card shows"
    assert any(w.startswith("C13") for w in page.evaluate("window.seen.current")), "and highlight it as it is said"
