"""Short fixed answers (goodbye, thanks, "are you a bot?", a cancelled form) in the citizen's language.

They were Rasa responses (`utter_*` in domain.yml), which cannot follow the language of the turn; as
actions they answer in whichever language the citizen just used (actions/language.py). The goodbye
still carries the `farewell` card, on which the bridge starts a fresh session for the next citizen.
"""

from __future__ import annotations

from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.executor import CollectingDispatcher

from actions import forms_zh as zh
from actions.context import send
from actions.language import CHINESE, language
from actions.replies import Reply
from cards import build


class _Fixed:
    """One answer per language; subclasses give the action name and the two replies (a mixin: rasa-sdk
    registers every Action subclass, and this one has no name of its own)."""

    action = ""

    def name(self) -> str:
        return self.action

    def reply(self, lang: str) -> Reply:
        raise NotImplementedError

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]) -> list:
        send(dispatcher, self.reply(language(tracker)))
        return []


class ActionGoodbye(_Fixed, Action):
    action = "action_goodbye"

    def reply(self, lang: str) -> Reply:
        text = zh.GOODBYE if lang == CHINESE else "Goodbye, and good luck with your errand!"
        return Reply(text, build("farewell", "goodbye", {}))


class ActionThank(_Fixed, Action):
    action = "action_thank"

    def reply(self, lang: str) -> Reply:
        return Reply(zh.THANK if lang == CHINESE else "You're welcome. Is there anything else I can help with?")


class ActionBotChallenge(_Fixed, Action):
    action = "action_bot_challenge"

    def reply(self, lang: str) -> Reply:
        if lang == CHINESE:
            return Reply(zh.BOT_CHALLENGE, None, [{"title": zh.HANDOFF_BUTTON, "payload": "/human_handoff"}])
        text = "I'm a virtual guide, not a person. If you'd rather talk to staff, just say \"human\"."
        return Reply(text, None, [{"title": "Talk to staff", "payload": "/human_handoff"}])


class ActionFormCancelled(_Fixed, Action):
    action = "action_form_cancelled"

    def reply(self, lang: str) -> Reply:
        return Reply(zh.FORM_CANCELLED if lang == CHINESE else "Okay, I've stopped that. Nothing was booked or issued.")
