"""Annotation and curation operations with their audit trail (shared by the web pages and the CLI)."""

from __future__ import annotations

from dataclasses import dataclass

from trainer.config import Settings
from trainer.language import message_language
from trainer.nludata import add_example, delete_example, edit_example, markup, move_example, plain
from trainer.state import State


@dataclass
class Outcome:
    added: bool
    message: str


def annotate(
    settings: Settings,
    state: State,
    user: str,
    text: str,
    intent: str,
    span: str | None = None,
    service: str | None = None,
    conversation: str | None = None,
    event_id: int | None = None,
    language: str | None = None,
) -> Outcome:
    """Label a message with the right intent (and service span); raises Refused with the reason.

    The example goes to its language's NLU file: `language` is the message's language as the inbox filed
    it (the session's, for words that do not tell), but the words as finally written decide when they can.
    """
    raw = markup(text, span or None, service or None)
    lang = message_language(plain(raw), language)
    added, path = add_example(settings, intent, raw, lang)
    rel = path.relative_to(settings.project)
    if not added:
        return Outcome(False, f"'{text}' is already a training example of {intent} ({rel}); nothing to add.")
    state.log(user, "annotate", intent=intent, example=raw, file=str(rel), language=lang,
              conversation=conversation, event_id=event_id)  # fmt: skip
    return Outcome(True, f"Added to {intent} in {rel}: {raw}")


def add(settings: Settings, state: State, user: str, intent: str, raw: str) -> Outcome:
    added, path = add_example(settings, intent, " ".join(raw.split()))
    rel = path.relative_to(settings.project)
    if not added:
        return Outcome(False, f"Already an example of {intent}; nothing to add.")
    state.log(user, "add_example", intent=intent, example=raw, file=str(rel))
    return Outcome(True, f"Added to {intent}: {raw}")


def edit(
    settings: Settings,
    state: State,
    user: str,
    intent: str,
    index: int,
    raw: str,
    expected: str | None,
    file: str | None = None,
) -> Outcome:
    old = edit_example(settings, intent, index, raw, expected, file)
    state.log(user, "edit_example", intent=intent, before=old.raw, after=raw)
    return Outcome(True, f"Changed '{old.raw}' to '{raw}'")


def move(
    settings: Settings,
    state: State,
    user: str,
    intent: str,
    index: int,
    to: str,
    expected: str | None,
    file: str | None = None,
) -> Outcome:
    old = move_example(settings, intent, index, to, expected, file)
    state.log(user, "move_example", example=old.raw, from_intent=intent, to_intent=to)
    return Outcome(True, f"Moved '{old.raw}' from {intent} to {to}")


def delete(
    settings: Settings, state: State, user: str, intent: str, index: int, expected: str | None, file: str | None = None
) -> Outcome:
    old = delete_example(settings, intent, index, expected, file)
    state.log(user, "delete_example", intent=intent, example=old.raw)
    return Outcome(True, f"Deleted '{old.raw}' from {intent}")
