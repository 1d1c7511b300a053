"""A client that stops reading cannot pin a session: every websocket send has a deadline.

Why: the ASGI server applies back-pressure (a send waits while the socket's buffers are full) and Pipecat's
output transport has no time limit on a send, so when a kiosk stops reading (a frozen page, a tab in the
background, a link that still acknowledges but takes nothing) the session's output waits for ever: the stages
before it keep queueing the frames of every reply it is asked for, and the session keeps its seat. Measured
before this module: such a session lived on, its socket's send queue growing at the pace of speech; uvicorn's
keepalive closes the socket, but that close waits for buffers the client never reads (docs/security/faults.md).

`SendDeadline` wraps the ASGI app: a websocket send that waits longer than `timeout_s` drops the connection
(no close frame can reach a client that reads nothing, so the socket is aborted), the session ends exactly
as if the client had gone (its pipeline is cancelled, its queues freed, its seats given back), and the drop
is logged and counted as `slow_client` in `/metrics`. A client that reads, however slowly its link, is never
near the deadline: the bridge sends audio at the pace it is played.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable, MutableMapping
from dataclasses import dataclass, field
from typing import Any

_LOG = logging.getLogger(__name__)
Message = MutableMapping[str, Any]
ASGIApp = Callable[[Message, Callable[[], Awaitable[Message]], Callable[[Message], Awaitable[None]]], Awaitable[None]]


class SlowClient(OSError):
    """A send waited past the deadline. An OSError, so Starlette marks the websocket disconnected."""


@dataclass
class SendDeadline:
    """ASGI middleware: websocket sends bounded by `timeout_s` (0 = no bound); `on_drop` counts each drop."""

    app: ASGIApp
    timeout_s: float = 10.0
    on_drop: Callable[[], None] = field(default=lambda: None)

    async def __call__(self, scope: Message, receive, send) -> None:
        if scope["type"] != "websocket" or not self.timeout_s:
            await self.app(scope, receive, send)
            return
        gone = asyncio.Event()
        client = scope.get("client")

        async def bounded_send(message: Message) -> None:
            if gone.is_set():
                raise SlowClient("the client was dropped for not reading")
            try:
                async with asyncio.timeout(self.timeout_s):
                    await send(message)
            except TimeoutError:
                gone.set()
                _LOG.warning("slow_client: %s took nothing for %g s; connection dropped", client, self.timeout_s)
                self.on_drop()
                _abort(send)
                raise SlowClient(f"the client took nothing for {self.timeout_s:g} s") from None

        async def guarded_receive() -> Message:
            """The server's next message, or a disconnect once the client has been dropped (whichever first)."""
            if gone.is_set():
                return {"type": "websocket.disconnect", "code": 1006}
            received = asyncio.ensure_future(receive())
            dropped = asyncio.ensure_future(gone.wait())
            try:
                await asyncio.wait({received, dropped}, return_when=asyncio.FIRST_COMPLETED)
            except asyncio.CancelledError:
                received.cancel()  # the session is ending: its pending read goes with it
                raise
            finally:
                dropped.cancel()
            if received.done():
                return received.result()
            received.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await received
            return {"type": "websocket.disconnect", "code": 1006}

        await self.app(scope, guarded_receive, bounded_send)


def _abort(send: Callable) -> None:
    """Free the socket at once (uvicorn's protocol object owns it; a plain close would wait for the client to
    read what is buffered, which it will not). Other servers end the connection when the app returns."""
    transport = getattr(getattr(send, "__self__", None), "transport", None)
    if transport is not None and hasattr(transport, "abort"):
        transport.abort()
