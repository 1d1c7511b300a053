"""Which Rasa instance a conversation goes to when there are several (avatar_bridge/rasa.py)."""

from __future__ import annotations

from collections import Counter

from avatar_bridge.rasa import instance_order

URLS = [f"http://rasa{i}:5005" for i in range(1, 5)]
SENDERS = [f"session-{i:04d}" for i in range(2000)]


def test_every_conversation_keeps_to_one_instance_whichever_bridge_asks():
    assert all(instance_order(s, URLS) == instance_order(s, list(reversed(URLS))) for s in SENDERS[:200])


def test_conversations_spread_evenly_over_the_instances():
    load = Counter(instance_order(s, URLS)[0] for s in SENDERS)
    assert set(load) == set(URLS)
    assert max(load.values()) < 1.25 * len(SENDERS) / len(URLS)


def test_an_instance_going_away_moves_only_its_own_conversations_each_to_its_next_choice():
    survivors = URLS[:-1]
    for s in SENDERS:
        before = instance_order(s, URLS)
        after = instance_order(s, survivors)
        if before[0] != URLS[-1]:
            assert after[0] == before[0]
        else:
            assert after[0] == before[1]
