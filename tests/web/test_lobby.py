"""The home page `/lobby` in a real Chromium at phone and desktop sizes, and check-in at the kiosk (issue 16).

A citizen at home gets the hall's address, hours and links (never "on your left" or a pointing guide, never a
QR code to scan from their own screen); the microphone is asked for only after the page says why; an
appointment booked there is checked in at a kiosk by scanning its confirmation's QR code.
"""

from __future__ import annotations

import re

import httpx

from testkit.browser import ask, shot, start_kiosk, wait_until_quiet
from tests.web.test_kiosk import serious_violations

PHONE = {"width": 360, "height": 640}
DESKTOP = {"width": 1280, "height": 800}
KIOSK_RELATIVE = re.compile(r"on your (left|right)|straight ahead|behind you|from here|take the lift", re.I)


def start_lobby(page, bridge, viewport: dict) -> None:
    page.set_viewport_size(viewport)
    page.goto(f"{bridge.http}/lobby")
    page.get_by_role("button", name="Start the guide").click()
    page.wait_for_selector('#connection[data-status="open"]')


def no_sideways_scroll(page) -> bool:
    return page.evaluate("document.documentElement.scrollWidth <= window.innerWidth + 1")


def test_on_a_phone_the_home_page_answers_where_with_the_halls_address_and_online_first(page, bridge, kb):
    start_lobby(page, bridge, PHONE)
    assert no_sideways_scroll(page), "360 px wide: nothing sticks out sideways"
    page.evaluate("""() => { window.gestures = []; const svg = document.querySelector('svg.avatar-svg');
        new MutationObserver(() => window.gestures.push(svg.dataset.gesture))
            .observe(svg, {attributes: true, attributeFilter: ['data-gesture']}); }""")
    ask(page, "where do I go for the social security card?")
    card = page.locator('.card[data-service="social_security_card"]').last
    said = page.locator(".msg-bot .msg-text").last.inner_text()
    assert not KIOSK_RELATIVE.search(said), said
    assert said.startswith("You don't need to come in"), "a fully online service leads with the online path"
    assert card.locator(".online-first a").count() == 1, "the online path is a link"
    assert kb.hall.address in card.locator(".visit").inner_text()
    assert card.locator('.visit a[href$="/hall#zone-A"]').count() == 1
    card.locator(".service-link a").wait_for()
    assert card.locator(".qr").count() == 0, "links, not QR codes, at home"
    assert not any(str(g).startswith("point_") for g in page.evaluate("window.gestures")), "the guide does not point"
    assert no_sideways_scroll(page)
    shot(page, "30-lobby-phone")
    assert serious_violations(page) == []


def test_on_a_desktop_a_service_that_needs_a_visit_offers_an_appointment_and_a_printable_checklist(page, bridge, kb):
    start_lobby(page, bridge, DESKTOP)
    ask(page, "where is the passport office?")
    card = page.locator('.card[data-service="passport_travel_permit"]').last
    assert page.locator(".msg-bot").last.get_by_role("button", name="Book an appointment").is_visible()
    wanted = [m.name for m in kb.services["passport_travel_permit"].materials]
    assert card.locator(".prepare .checklist .item-name").all_inner_texts() == wanted
    href = card.locator(".prepare a.print-link").get_attribute("href")
    shot(page, "31-lobby-desktop")
    assert serious_violations(page) == []
    page.goto(href)
    assert page.get_by_role("button", name="Print or save as PDF").is_visible()
    assert [n.strip() for n in page.locator(".checklist strong").all_inner_texts()] == wanted
    assert serious_violations(page) == []
    page.goto(f"{bridge.http}/hall")
    assert kb.hall.address in page.inner_text("main") and page.locator("#zone-C").count() == 1
    assert serious_violations(page) == []


def test_the_microphone_is_explained_first_and_typing_takes_over_when_it_is_refused(page, bridge):
    # A browser that has not been asked yet, whose user then says no (the test browser grants everything).
    page.add_init_script("""navigator.permissions.query = async () => ({state: 'prompt'});
        navigator.mediaDevices.getUserMedia = () =>
            Promise.reject(new DOMException('Permission denied', 'NotAllowedError'));""")
    start_lobby(page, bridge, PHONE)
    page.locator("#mic").click()
    consent = page.get_by_role("group", name=re.compile("your browser will ask for the microphone"))
    assert consent.is_visible()
    assert serious_violations(page) == []
    page.get_by_role("button", name="Use the microphone").click()
    page.wait_for_selector("#notice:has-text('microphone is blocked')")
    assert page.locator("#mic").get_attribute("aria-disabled") == "true"
    assert page.evaluate("document.activeElement.id") == "question", "typing is offered at once"
    ask(page, "when are you open?")
    assert "09:00" in page.locator(".msg-bot .msg-text").last.inner_text()


def test_booked_at_home_checked_in_at_the_kiosk_by_scanning_the_confirmation(page, context, bridge):
    start_lobby(page, bridge, PHONE)
    ask(page, "I'd like to book an appointment for a passport")
    for answer in ("today", "11:00", "Li Na"):
        ask(page, answer)
    confirmation = page.locator('.card[data-topic="book_appointment"]').last
    reference = confirmation.locator(".reference").inner_text()
    assert re.fullmatch(r"[A-Z0-9]{3}-[A-Z0-9]{3}", reference)
    qr = confirmation.locator(".checkin-qr img")
    page.wait_for_function("(img) => img.complete && img.naturalWidth > 0", arg=qr.element_handle())
    svg = httpx.get(qr.get_attribute("src"), timeout=30)
    assert svg.status_code == 200 and svg.headers["content-type"].startswith("image/svg+xml")
    shot(page, "32-lobby-confirmation")

    hall = context.new_page()
    start_kiosk(hall, bridge)
    answers = hall.locator(".msg-bot").count()
    hall.locator("#reset").focus()  # wherever the focus is, the scanner's keystrokes land in the question box
    hall.keyboard.type(f"https://service.harbor.example.gov/checkin/{reference}")
    hall.keyboard.press("Enter")
    hall.wait_for_function(f"document.querySelectorAll('.msg-bot').length > {answers}")
    ticket = hall.locator('.card[data-topic="check_in"]').last
    ticket.locator(".ticket-number").wait_for()
    assert ticket.locator(".ticket-number").inner_text().startswith("C"), "a ticket for the passport zone"
    wait_until_quiet(hall)
    ask(hall, "check in XYX-999")  # a reference that was never issued
    assert "can't find an appointment" in hall.locator(".msg-bot .msg-text").last.inner_text()
    shot(hall, "33-kiosk-check-in")
