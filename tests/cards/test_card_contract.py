"""The card contract (cards/): what a card may hold, the JSON Schema published from it, and the cards built today.

The live check, every card the running dialogue core sends during the test
session, is in tests/conftest.py (`dialogue` fixture): it reads them back from
the dialogue core's tracker database when the session ends.
"""

from __future__ import annotations

import pytest

import cards
from actions.replies import TOPICS, choose_service_reply, service_reply, which_service_reply
from cards.__main__ import SCHEMA_FILE, rendered
from tests.cards.contract import contract_breaches


def test_the_published_schema_is_generated_from_the_models():
    assert SCHEMA_FILE.read_text() == rendered(), "avatar_bridge/schemas/card.json is stale: run `python -m cards`"


def test_every_service_topic_the_guide_answers_has_a_card_model():
    assert set(TOPICS) == set(cards.SERVICE_TOPICS)
    assert all(cards.TOPICS[topic] == "service" for topic in TOPICS)


def test_every_card_the_replies_build_keeps_the_contract(kb):
    built = [service_reply(kb, service, topic, "entrance").card for service in kb.services.values() for topic in TOPICS]
    built += [
        which_service_reply(kb).card,
        choose_service_reply(kb, list(kb.services)[:2], "ask_service").card,
    ]
    assert len(built) >= len(kb.services) * len(TOPICS)
    assert contract_breaches(built) == []
    for card in built:
        assert cards.parse(card).topic == card["topic"]


@pytest.mark.parametrize(
    "card, why",
    [
        ({"kind": "service", "topic": "fee", "fields": {"fee": {"amount": 5}}}, "service_id"),
        ({"kind": "hall", "topic": "greet", "fields": {"hall": "x"}}, "kind"),
        ({"kind": "fallback", "topic": "give_up", "fields": {"hotline": "12345", "colour": "red"}}, "colour"),
        ({"kind": "fallback", "topic": "no_such_topic", "fields": {}}, "topic"),
    ],
)
def test_a_card_outside_the_contract_is_refused_by_model_and_schema(card, why):
    with pytest.raises(cards.CardError):
        cards.parse(card)
    assert contract_breaches([card]), f"the JSON Schema accepted a card without/with {why}"


def test_build_refuses_a_topic_of_another_kind():
    with pytest.raises(cards.CardError, match="not a topic of kind"):
        cards.build("hall", "greet", {"hall": "City hall"})
