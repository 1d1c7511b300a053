"""The masking rules every environment shares (privacy/rules.py) and the log policy (privacy/logtext.py)."""

from __future__ import annotations

import pytest

from privacy.logtext import loggable
from privacy.rules import mask_text, mask_value


@pytest.mark.parametrize(
    ("said", "names", "stored"),
    [
        ("I am Li, applying for Li Na", {"Li Na"}, "I am Li, applying for [name]"),
        ("Li applied online", {"Li"}, "[name] applied online"),
        ("application for li", {"Li"}, "application for [name]"),
        ("我叫王小明，电话13800138000", {"王小明"}, "我叫[name]，电话[phone]"),
        ("Wang Fang, phone 138 0013 8000", {"Wang Fang, phone 138 0013 8000", "Wang Fang"}, "[name]"),
        ("booked under the name [name]", {"[name]"}, "booked under the name [name]"),
        ("身份证110105194912310021", (), "身份证[id-card]"),
    ],
)
def test_names_are_masked_as_whole_words_and_numbers_wherever_they_are(said, names, stored):
    assert mask_text(said, names) == stored


def test_a_json_event_is_masked_in_its_values_and_keeps_its_keys_and_identifiers():
    event = {
        "event": "bot",
        "name": "Wang Fang",
        "text": "Booked under the name Wang Fang",
        "data": {"custom": {"data": {"fields": {"name": "Wang Fang", "phone": ["13800138000"]}}}},
    }
    masked = mask_value(event, {"Wang Fang"}, keep=frozenset({"event", "name"}))
    assert masked["name"] == "Wang Fang"  # kept: at the top of an event "name" is an action or slot name
    assert masked["text"] == "Booked under the name [name]"
    assert masked["data"]["custom"]["data"]["fields"] == {"name": "[name]", "phone": ["[phone]"]}


def test_log_lines_show_lengths_unless_text_logging_is_switched_on(monkeypatch):
    monkeypatch.delenv("LOBBY_LOG_TEXT", raising=False)
    assert loggable("my phone is 13800138000") == "<23 chars>"
    monkeypatch.setenv("LOBBY_LOG_TEXT", "1")
    assert loggable("my phone is 13800138000") == "'my phone is 13800138000'"
