"""What the guide says about a service comes from the knowledge base, short enough to speak."""

from __future__ import annotations

import re

import pytest

from actions.replies import TOPICS, service_reply
from kb import load_knowledge_base

KB = load_knowledge_base()
CASES = [(s, t) for s in sorted(KB.services) for t in TOPICS]


def sentences(text: str) -> int:
    return len([s for s in re.split(r"(?<=[.!?])\s+(?=[A-Z])", text) if s.strip()])


@pytest.mark.parametrize(("service_id", "topic"), CASES, ids=[f"{s}-{t}" for s, t in CASES])
def test_every_reply_is_grounded_short_and_carries_a_card(service_id, topic):
    service = KB.services[service_id]
    reply = service_reply(KB, service, topic)
    assert reply.card is not None and reply.card["service_id"] == service_id and reply.card["topic"] == topic
    assert reply.payload() == {"data": reply.card}, "socket.io only forwards custom JSON under 'data'"
    assert sentences(reply.text) <= 4, reply.text
    assert reply.buttons, "details are offered as buttons"


@pytest.mark.parametrize("service_id", sorted(KB.services))
def test_facts_in_replies_match_the_knowledge_base(service_id):
    s = KB.services[service_id]
    location = service_reply(KB, s, "location").text
    assert all(w in location for w in s.location.windows)
    if s.fee is not None:
        fee = service_reply(KB, s, "fee").text
        assert ("no fee" in fee) if s.fee.free else (f"{s.fee.amount:g} yuan" in fee)
    if s.materials:
        card = service_reply(KB, s, "materials").card
        assert [m["name"] for m in card["fields"]["materials"]] == [m.name for m in s.materials]


def test_a_missing_fact_is_admitted_not_invented():
    s = next(x for x in KB.services.values() if x.fee is None)
    reply = service_reply(KB, s, "fee")
    assert "don't have information" in reply.text and KB.hall.hotline in reply.text
    assert reply.card["fields"]["unknown"] is True
