"""Annotation and curation operations with their audit trail (shared by the web pages and the CLI)."""

from __future__ import annotations

from dataclasses import dataclass

from trainer.config import Settings
from trainer.nludata import add_example, delete_example, edit_example, markup, move_example
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
) -> Outcome:
    """Label a message with the right intent (and service span); raises Refused with the reason."""
    raw = markup(text, span or None, service or None)
    added, path = add_example(settings, intent, raw)
    rel = path.relative_to(settings.project)
    if not added:
        return Outcome(False, f"'{text}' is already a training example of {intent} ({rel}); nothing to add.")
    state.log(user, "annotate", intent=intent, example=raw, file=str(rel), conversation=conversation, event_id=event_id)
    return Outcome(True, f"Added to {intent} in {rel}: {raw}")


def add(settings: Settings, state: State, user: str, intent: str, raw: str) -> Outcome:
    added, path = add_example(settings, intent, " ".join(raw.split()))
    rel = path.relative_to(settings.project)
    if not added:
        return Outcome(False, f"Already an example of {intent}; nothing to add.")
    state.log(user, "add_example", intent=intent, example=raw, file=str(rel))
    return Outcome(True, f"Added to {intent}: {raw}")


def edit(
    settings: Settings, state: State, user: str, intent: str, index: int, raw: str, expected: str | None
) -> Outcome:
    old = edit_example(settings, intent, index, raw, expected)
    state.log(user, "edit_example", intent=intent, before=old.raw, after=raw)
    return Outcome(True, f"Changed '{old.raw}' to '{raw}'")


def move(
    settings: Settings, state: State, user: str, intent: str, index: int, to: str, expected: str | None
) -> Outcome:
    old = move_example(settings, intent, index, to, expected)
    state.log(user, "move_example", example=old.raw, from_intent=intent, to_intent=to)
    return Outcome(True, f"Moved '{old.raw}' from {intent} to {to}")


def delete(settings: Settings, state: State, user: str, intent: str, index: int, expected: str | None) -> Outcome:
    old = delete_example(settings, intent, index, expected)
    state.log(user, "delete_example", intent=intent, example=old.raw)
    return Outcome(True, f"Deleted '{old.raw}' from {intent}")
