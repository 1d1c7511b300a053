"""A fuzzing client for the bridge's websocket: sends any frame, then a marker `ping`, and splits what comes
back by marker, so each frame's answers (and errors) are known even when hundreds are in flight."""

from __future__ import annotations

import itertools
import json
from dataclasses import dataclass, field

import httpx
from websockets.exceptions import ConnectionClosed
from websockets.sync.client import connect

RECV_TIMEOUT_S = 60  # a bound on a loaded 2-core machine, not a latency assertion
_MARKERS = itertools.count()


@dataclass
class Answer:
    """Everything the server sent between one frame and the marker `pong` behind it."""

    messages: list[dict] = field(default_factory=list)

    @property
    def errors(self) -> list[str]:
        return [m["code"] for m in self.messages if m["type"] == "error"]

    @property
    def types(self) -> list[str]:
        return [m["type"] for m in self.messages]


class FuzzClient:
    def __init__(self, url: str):
        self.url = url
        self.ws = connect(url, max_size=2**24, open_timeout=30)
        self.closed = False

    def close(self) -> None:
        self.ws.close()

    def send(self, frame: str | bytes) -> None:
        self.ws.send(frame)

    def recv(self) -> dict | None:
        data = self.ws.recv(timeout=RECV_TIMEOUT_S)
        return None if isinstance(data, bytes) else json.loads(data)

    def exchange(self, frames: list[str | bytes]) -> list[Answer]:
        """Send every frame, each followed by a marker ping; return one Answer per frame."""
        markers = []
        for frame in frames:
            marker = f"fuzz-marker-{next(_MARKERS)}"
            markers.append(marker)
            self.ws.send(frame)
            self.ws.send(json.dumps({"type": "ping", "id": marker}))
        answers, current = [], Answer()
        while len(answers) < len(markers):
            message = self.recv()
            if message is None:
                continue
            if message == {"type": "pong", "id": markers[len(answers)]}:
                answers.append(current)
                current = Answer()
            else:
                current.messages.append(message)
        return answers

    def wait(self, kind: str, **match) -> dict:
        while True:
            message = self.recv()
            if message and message["type"] == kind and all(message.get(k) == v for k, v in match.items()):
                return message

    def hello(self, kiosk_id: str = "fuzz", **extra) -> dict:
        self.send(json.dumps({"type": "hello", "protocol": "1", "kiosk_id": kiosk_id} | extra))
        return self.wait("session")

    def turn(self, text: str) -> dict:
        """A typed question answered to the end (its `metrics` and `state idle`); returns the bot_message."""
        self.send(json.dumps({"type": "text", "text": text}))
        bot = self.wait("bot_message")
        self.wait("metrics", utterance_id=bot["utterance_id"])
        self.wait("state", state="idle")  # the turn's last message
        return bot

    def close_code(self) -> int | None:
        """Reads until the server closes; its close code."""
        try:
            while True:
                self.ws.recv(timeout=RECV_TIMEOUT_S)
        except ConnectionClosed as closed:
            return closed.rcvd.code if closed.rcvd else None


def healthy(http: str) -> bool:
    return httpx.get(f"{http}/health", timeout=30).status_code == 200
