"""Which language to answer in: the one the citizen just used.

A hall serves whoever walks up, and the same person may switch mid-conversation (a daughter types in
English, her father then asks in Chinese). So the guide answers in the language of the latest message,
not of the session: Chinese characters mean Chinese; two or more Latin words and no Chinese mean English.
A message that says nothing about its language (a button payload such as "/ask_fee", digits, a single
word like "C03" or "yes") keeps the language the client asked for in the session metadata (`language`,
top level or `customData`, the way context.py reads every client setting), as long as the guide offers it
(`LOBBY_LANGUAGES`, kb.languages, and the knowledge base has its text: actions.knowledge.answer_languages);
otherwise English, the base language. Chinese characters with Chinese switched off get English too.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from actions.context import _meta_value, metadata
from actions.knowledge import answer_languages
from kb.languages import BASE_LANGUAGE, CHINESE, text_language  # noqa: F401  (re-exported: one rule, kb.languages)

if TYPE_CHECKING:
    from rasa_sdk import Tracker


def language(tracker: Tracker) -> str:
    """ "en" or "zh": the language the guide answers this turn in (see the module docstring)."""
    enabled = answer_languages()
    spoken = text_language(tracker.latest_message.get("text") or "")
    if spoken is not None:
        return spoken if spoken in enabled else BASE_LANGUAGE
    asked = str(_meta_value(metadata(tracker), "language") or "").strip().lower()
    if asked.startswith("zh"):  # zh-CN, zh-Hans: the client's locale
        asked = CHINESE
    return asked if asked in enabled and asked in (BASE_LANGUAGE, CHINESE) else BASE_LANGUAGE
