"""A kiosk that stops reading: the bridge drops it after the send deadline, frees what it held, serves the rest."""

from __future__ import annotations

import contextlib

import httpx
from websockets.exceptions import ConnectionClosed

from testkit.faults import shrink_send_buffers, slow_reader, wait_for
from testkit.kiosk import Kiosk

SEND_TIMEOUT_S = 2.0  # the test's deadline (production: 10 s, BridgeConfig.send_timeout_s)
LONG_QUESTIONS = ["my wife just had a baby, what do I need to do?", "how do I apply for a passport?"] * 10


def active(bridge) -> int:
    return httpx.get(f"{bridge.http}/health").json()["active_sessions"]


def slow_client_drops(bridge) -> int:
    for line in httpx.get(f"{bridge.http}/metrics").text.splitlines():
        if 'code="slow_client"' in line:
            return int(float(line.rsplit(" ", 1)[1]))
    return 0


def test_a_kiosk_that_stops_reading_is_dropped_and_the_others_are_served(make_bridge):
    bridge = make_bridge(send_timeout_s=SEND_TIMEOUT_S)
    slow = slow_reader(bridge.url)
    slow.hello()
    assert shrink_send_buffers(bridge) == 1  # the slow link: seconds, not the kernel's 4 MB, to fill up
    # From here the kiosk reads nothing more, and keeps asking questions with long spoken answers.
    sent = 0
    try:
        for question in LONG_QUESTIONS:
            slow.send({"type": "text", "text": question})
            sent += 1
        with Kiosk(bridge.url) as other:  # meanwhile, another citizen at another kiosk is served in full
            other.hello("floor2")
            turn = other.turn("how do I apply for a passport?")
            assert turn["bot"]["card"]["service_id"] == "passport_travel_permit" and turn["speech"]
        wait_for(lambda: slow_client_drops(bridge) == 1, 120, "the slow kiosk dropped")
        wait_for(lambda: active(bridge) == 0, 60, "the slow kiosk's session ended")
    finally:
        with contextlib.suppress(ConnectionClosed):
            slow.ws.close()
    with Kiosk(bridge.url) as after:  # the bridge has room and works for the next kiosk
        after.hello()
        assert after.turn("hello")["bot"]["card"]["kind"] == "greeting"
    assert sent == len(LONG_QUESTIONS)
