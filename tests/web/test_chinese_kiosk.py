"""The kiosk in Mandarin, in a real Chromium through the real bridge, Rasa and action server (issue 15).

A citizen switches the kiosk to 中文, types a question in Chinese and gets the answer, the checklist card and
the quick replies in Chinese; every Chinese character on the screen is drawn as a glyph, not as an empty box
("tofu"): each one is drawn on a canvas in the page's own font and compared with a code point no font has.
"""

from __future__ import annotations

import re

from testkit.browser import shot, wait_until_quiet

CJK = re.compile(r"[\u4e00-\u9fff]")

GLYPHS = r"""
(() => {
  const text = document.body.innerText;
  const chars = [...new Set([...text].filter((c) => /[\u4e00-\u9fff]/.test(c)))];
  const font = getComputedStyle(document.querySelector('.msg-bot') || document.body).fontFamily;
  const canvas = document.createElement('canvas');
  canvas.width = canvas.height = 48;
  const ctx = canvas.getContext('2d', { willReadFrequently: true });
  const draw = (c) => {
    ctx.clearRect(0, 0, 48, 48);
    ctx.font = `32px ${font}`;
    ctx.fillText(c, 4, 38);
    return ctx.getImageData(0, 0, 48, 48).data.join(',');
  };
  const tofu = draw(String.fromCodePoint(0x10fffd));  // plane-16 private use: no font draws it
  return { chars: chars.length, missing: chars.filter((c) => draw(c) === tofu), font };
})()
"""


def ask_in_chinese(page, question: str) -> None:
    answers = page.locator(".msg-bot").count()
    page.locator("#question").fill(question)
    page.locator("#send").click()
    page.wait_for_function(f"document.querySelectorAll('.msg-bot').length > {answers}")
    wait_until_quiet(page)


def test_a_citizen_asks_in_mandarin_and_reads_the_answer_in_mandarin_glyphs(page, bridge):
    page.goto(f"{bridge.http}/kiosk?kiosk=entrance&lang=zh")
    page.get_by_role("button", name="轻触开始").click()
    page.wait_for_selector('#connection[data-status="open"]')
    ask_in_chinese(page, "办护照要带什么材料")
    reply = page.locator(".msg-bot").last.inner_text()
    assert CJK.search(reply) and ("护照" in reply or "出入境" in reply), reply
    checklist = page.locator(".checklist li")
    assert checklist.count() >= 2 and CJK.search(checklist.first.inner_text())
    replies = [b.inner_text() for b in page.locator(".quick-replies button").all()]
    assert replies and all(CJK.search(r) for r in replies), replies
    shot(page, "zh-01-materials")
    glyphs = page.evaluate(GLYPHS)
    assert glyphs["chars"] >= 30, glyphs
    assert glyphs["missing"] == [], f"drawn as empty boxes in {glyphs['font']}: {''.join(glyphs['missing'])}"
