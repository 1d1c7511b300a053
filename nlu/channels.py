"""Rasa input channels with Lobby Guide's fixes. Runs inside the Rasa environment.

Both channels fail a turn whose conversation could not be read or stored (nlu/store_failures.py) instead of
answering from a conversation that is not the citizen's stored one.

REST: Rasa 3.6 answers a JSON body that is not an object (e.g. `[]`) with a 500
and a stack trace in the log; here it is a 400 that says what is wrong. A body
without `sender` or `message` is refused too (Rasa would put every sender-less
message into one shared conversation), and the body cannot name the input channel.

socket.io: Rasa's own channel, with two fixes:

* Rasa 3.6 builds its socket.io server with CORS handling switched off, so any
  web page could talk to the guide over websockets. Here engine.io checks the
  browser origin against LOBBY_CORS_ORIGINS (space-separated).
* With session persistence on, Rasa 3.6 calls `sio.enter_room()` without
  awaiting it; python-socketio 5.x (which Rasa 3.6.21 installs) made it a
  coroutine, so the client never joins its session room and never receives a
  reply. The session handler is replaced by one that awaits it.
"""

from __future__ import annotations

import inspect
import logging
import os
import uuid
from collections.abc import Awaitable, Callable
from typing import Any

from rasa.core.channels.channel import UserMessage
from rasa.core.channels.rest import RestInput
from rasa.core.channels.socketio import SocketIOInput
from sanic import Blueprint
from sanic.exceptions import InvalidUsage
from sanic.request import Request

from nlu.store_failures import failing_visibly

logger = logging.getLogger(__name__)


MAX_SENDER_LENGTH = 256


class ValidatedRestInput(RestInput):
    @classmethod
    def name(cls) -> str:
        return "rest"

    def blueprint(self, on_new_message: Callable[[UserMessage], Awaitable[Any]]) -> Blueprint:
        return super().blueprint(failing_visibly(on_new_message))

    async def _extract_sender(self, req: Request) -> str | None:
        body = req.json
        if not isinstance(body, dict):
            raise InvalidUsage("The body must be a JSON object with 'sender' and 'message'.")
        sender, message, metadata = body.get("sender"), body.get("message"), body.get("metadata")
        # A missing sender is refused: Rasa would file every such message under the one conversation "default",
        # so two anonymous clients would share slots and answers (found by tests/fuzz/test_dialogue_fuzz.py).
        if not isinstance(sender, str) or not 0 < len(sender) <= MAX_SENDER_LENGTH:
            raise InvalidUsage(f"'sender' must be a string of 1 to {MAX_SENDER_LENGTH} characters.")
        if not isinstance(message, str):
            raise InvalidUsage("'message' must be a string.")
        if metadata is not None and not isinstance(metadata, dict):
            raise InvalidUsage("'metadata' must be a JSON object.")
        return sender

    def _extract_input_channel(self, req: Request) -> str:
        """Always "rest": Rasa 3.6 lets the body name any input channel (even a non-string, which the tracker
        then stores), and the trainer tells web chats from kiosks by it."""
        return self.name()


def allowed_origins() -> list[str]:
    return [o.rstrip("/") for o in os.environ.get("LOBBY_CORS_ORIGINS", "").split() if o]


class OriginCheckedSocketIOInput(SocketIOInput):
    @classmethod
    def name(cls) -> str:
        return "socketio"

    def blueprint(self, on_new_message: Callable[[UserMessage], Awaitable[Any]]) -> Blueprint:
        # replies already sent cannot be taken back here; a failed store is still logged as the turn's failure
        blueprint = super().blueprint(failing_visibly(on_new_message))
        origins = allowed_origins()
        if self.sio is not None:
            # An empty list would mean "no CORS handling" to engine.io; refuse every
            # cross-origin page instead when nothing is configured.
            self.sio.eio.cors_allowed_origins = origins or ["null-origin-not-allowed"]
            self._register_session_handler()
        logger.info("socket.io accepts connections from origins: %s", origins or "none (same-origin clients only)")
        return blueprint

    def _register_session_handler(self) -> None:
        sio = self.sio
        assert sio is not None

        @sio.on("session_request", namespace=self.namespace)
        async def session_request(sid: str, data: dict | None) -> None:
            data = data if isinstance(data, dict) else {}
            session_id = data.get("session_id") or uuid.uuid4().hex
            if self.session_persistence:
                joined = sio.enter_room(sid, session_id, namespace=self.namespace)
                if inspect.isawaitable(joined):
                    await joined
            await sio.emit("session_confirm", session_id, room=sid, namespace=self.namespace)
