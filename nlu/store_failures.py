"""Turns whose conversation could not be read or written: answered with nothing, not with a ghost.

Rasa 3.6 wraps every tracker store in its FailSafeTrackerStore, which swallows store errors: a save that
fails (database locked, disk full) is kept in an in-memory store instead, so the citizen is answered while
the turn is lost from the record; a read that fails returns no tracker, so Rasa starts a *fresh*
conversation for the sender, answers the question out of context and then saves that fresh history over
the stored one. For a public service neither is acceptable: the turn should fail, visibly and cleanly.

The store (nlu/masked_tracker_store.py) records each failure here, by sender, and refuses to save a
conversation whose read failed in the same turn. The input channels (nlu/channels.py) wrap the turn: a turn
with a recorded failure is logged and its collected replies are dropped, so the REST client (the bridge)
gets no reply, which it answers with its documented `dialogue_unavailable` apology; the next turn, once the
database is back, continues the stored conversation. Rasa's per-sender lock serialises a sender's turns,
so one slot per sender is enough.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from typing import Any

from rasa.core.channels.channel import CollectingOutputChannel, UserMessage

logger = logging.getLogger(__name__)


class ConversationNotRead(RuntimeError):
    """Raised instead of saving a conversation whose stored history could not be read this turn."""


class StoreFailures:
    def __init__(self) -> None:
        self._failed: dict[str, tuple[str, str]] = {}  # sender -> ("read" | "write", what went wrong)

    def record(self, sender_id: str, what: str, error: BaseException) -> None:
        self._failed[sender_id] = (what, f"{error.__class__.__name__}: {str(error).splitlines()[0][:200]}")

    def read_ok(self, sender_id: str) -> None:
        self._failed.pop(sender_id, None)

    def read_failed(self, sender_id: str) -> bool:
        return self._failed.get(sender_id, ("",))[0] == "read"

    def take(self, sender_id: str) -> str | None:
        """What failed in this sender's turn ("write failed: OperationalError: ..."), forgotten once taken."""
        failure = self._failed.pop(sender_id, None)
        return f"{failure[0]} failed: {failure[1]}" if failure else None


FAILURES = StoreFailures()


def failing_visibly(on_new_message: Callable[[UserMessage], Awaitable[Any]]) -> Callable[[UserMessage], Awaitable[Any]]:
    """`on_new_message` for an input channel: a turn whose conversation was not read or not stored is not
    answered (the replies collected so far are dropped), and the log says why."""

    async def handle(message: UserMessage) -> Any:
        FAILURES.take(message.sender_id)  # a failure left by a non-channel call (the HTTP API) is not this turn's
        result = await on_new_message(message)
        failure = FAILURES.take(message.sender_id)
        if failure is not None:
            dropped = 0
            if isinstance(message.output_channel, CollectingOutputChannel):
                dropped = len(message.output_channel.messages)
                message.output_channel.messages.clear()
            logger.error(
                "turn of %s not answered: its conversation store %s (%d replies dropped; the client's apology "
                "follows, the stored conversation is unchanged)",
                message.sender_id,
                failure,
                dropped,
            )
        return result

    return handle
