"""The dialogue core in the pipeline: transcripts and typed text -> Rasa REST -> a BotReplyFrame.

Replaces the LLM of a usual Pipecat bot. The sender id is the session id, and
the kiosk's position (its kiosk id in data/hall.yml), channel and language go in
the message metadata, so the dialogue core gives kiosk-relative directions.
A reply with a `farewell` card (the card contract, cards/) ends the
conversation: once it is given, the controller renews the session, so the next
citizen starts fresh. Rasa down or slow: retries with back-off,
then a spoken apology and an `error` message; the session carries on. A whole turn's wait is bounded by
`deadline_s` (1.5 s by default), whatever the failure (refused, hung, a locked tracker database), so the
citizen hears the apology's first words within 2 s (docs/security/faults.md). Several Rasa instances
(a comma-separated URL list) are one dialogue core: each conversation keeps to one instance and
moves to the next only when its own does not answer (docs/ARCHITECTURE.md, "Scaling out").
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
import time
from dataclasses import dataclass

import httpx
from pipecat.frames.frames import (
    Frame,
    OutputTransportMessageFrame,
    OutputTransportMessageUrgentFrame,
    TranscriptionFrame,
)
from pipecat.processors.frame_processor import FrameDirection, FrameProcessor

import cards
from avatar_bridge import protocol
from avatar_bridge.frames import BotReplyFrame, Errors, HeardFrame
from avatar_bridge.state import SessionState, new_id
from privacy.logtext import loggable

_LOG = logging.getLogger(__name__)
APOLOGY = "Sorry, I can't look that up right now. Please ask at the help desk on floor 1, or try again in a moment."
# said in the session's language when the dialogue core cannot answer (a Chinese session hears no English)
APOLOGIES = {"en": APOLOGY, "zh": "抱歉，现在暂时查不到。请到一楼咨询台咨询，或者稍后再试。"}
UNAVAILABLE_CARD = cards.build("fallback", "unavailable", {})


class DialogueUnavailable(Exception):
    pass


def instance_order(sender: str, urls: list[str]) -> list[str]:
    """The Rasa instances in the order this conversation tries them (rendezvous hashing).

    Every bridge computes the same order for the same sender id, so a conversation always reaches the
    same instance while it is up (Rasa Open Source's lock store does not keep two instances from taking
    one conversation at once); when that instance is down the next one in the order takes over, and
    adding or removing an instance moves only the conversations it gains or loses.
    """
    return sorted(urls, key=lambda url: hashlib.sha256(f"{url}|{sender}".encode()).digest(), reverse=True)


@dataclass
class RasaClient:
    """The dialogue core, one instance or several: `url` may list several base URLs, comma-separated."""

    url: str
    timeout_s: float = 10.0
    retries: int = 2
    backoff_s: float = 0.3
    # The whole turn, every attempt and back-off included: past it the citizen hears the apology. Per-attempt
    # timeouts alone let a hung core keep a citizen waiting (retries + 1) x timeout_s (30 s with the defaults).
    deadline_s: float | None = 1.5

    def __post_init__(self) -> None:
        self.urls = [u.strip().rstrip("/") for u in self.url.split(",") if u.strip()]
        if not self.urls:
            raise ValueError("no Rasa URL given")
        self._client = httpx.AsyncClient(timeout=self.timeout_s)

    async def send(self, sender: str, message: str, metadata: dict) -> list[dict]:
        try:
            async with asyncio.timeout(self.deadline_s):
                messages = await self._send(sender, message, metadata)
        except TimeoutError:
            raise DialogueUnavailable(f"no answer within the {self.deadline_s:g} s deadline") from None
        if not messages:
            # The dialogue core answers every turn (a reply or the fallback); Rasa answers nothing when a part
            # behind it failed: the action server down, the tracker store failing (it logs that, not the
            # citizen). Not retried: Rasa has already recorded the message.
            raise DialogueUnavailable("an empty reply: a part behind the dialogue core failed (see its log)")
        return messages

    async def _send(self, sender: str, message: str, metadata: dict) -> list[dict]:
        body = {"sender": sender, "message": message, "metadata": metadata, "input_channel": "kiosk"}
        order = instance_order(sender, self.urls)
        last: Exception | None = None
        for attempt in range(self.retries + 1):
            if attempt:
                await asyncio.sleep(self.backoff_s * 2 ** (attempt - 1))
            for url in order:  # the conversation's own instance first; the next ones only when it fails
                try:
                    r = await self._client.post(f"{url}/webhooks/rest/webhook", json=body)
                    if r.status_code < 500:
                        r.raise_for_status()
                        if url != order[0]:
                            _LOG.warning("conversation %s served by %s: %s did not answer", sender, url, order[0])
                        return r.json()
                    last = httpx.HTTPStatusError(f"HTTP {r.status_code}", request=r.request, response=r)
                except (httpx.HTTPError, ValueError) as exc:
                    last = exc
                _LOG.warning("dialogue core %s attempt %d failed: %s", url, attempt + 1, last)
        raise DialogueUnavailable(str(last))

    async def aclose(self) -> None:
        await self._client.aclose()


def reply_from_messages(messages: list[dict]) -> tuple[str, list[dict], list[dict]]:
    texts = [m["text"] for m in messages if m.get("text")]
    buttons = [
        {"title": b.get("title", ""), "payload": b.get("payload", "")} for m in messages for b in m.get("buttons") or []
    ]
    found = [
        m["custom"]["data"]
        for m in messages
        if isinstance(m.get("custom"), dict) and isinstance(m["custom"].get("data"), dict)
    ]
    return " ".join(texts), buttons, found


class RasaProcessor(FrameProcessor):
    def __init__(self, client: RasaClient, state: SessionState, errors: Errors | None = None, **kwargs):
        super().__init__(**kwargs)
        self.client = client
        self.state = state
        self.errors = errors or Errors()

    async def process_frame(self, frame: Frame, direction: FrameDirection):
        await super().process_frame(frame, direction)
        if isinstance(frame, TranscriptionFrame) and direction == FrameDirection.DOWNSTREAM:
            await self._turn(frame)
        else:
            await self.push_frame(frame, direction)

    async def _urgent(self, message: dict) -> None:
        await self.push_frame(OutputTransportMessageUrgentFrame(message=message))

    async def _turn(self, frame: TranscriptionFrame) -> None:
        started = time.perf_counter()
        stages: dict = {}
        transcript = frame.result if hasattr(frame.result, "elapsed_ms") else None
        if transcript is not None:
            if isinstance(frame, HeardFrame) and frame.end_of_turn_ms is not None:
                stages["end_of_turn_ms"] = frame.end_of_turn_ms
            stages["asr_ms"] = transcript.elapsed_ms
            await self._urgent(
                {"type": "transcript", "kind": "final", "text": frame.text, "confidence": transcript.confidence}
            )
        text = frame.text.strip()
        if not text:
            await self._urgent(protocol.state("idle"))
            return
        await self._urgent(protocol.state("thinking"))
        await self._urgent(
            {"type": "gesture", "utterance_id": None, "name": "think", "at_ms": 0, "duration_ms": 0, "target": None}
        )
        metadata = {
            "kiosk_id": self.state.position or self.state.kiosk_id,
            "device_id": self.state.kiosk_id,
            "channel": "kiosk",
            # a turn that language following just switched carries its language (the controller may not have
            # applied the switch to the session yet)
            "language": getattr(frame, "spoken_language", None) or self.state.language,
        }
        try:
            messages = await self.client.send(self.state.session_id, text, metadata)
            reply, buttons, replied_cards = reply_from_messages(messages)
        except DialogueUnavailable as exc:
            _LOG.error("dialogue core unavailable: %s", exc)
            await self.push_frame(self.errors.frame("dialogue_unavailable", "the dialogue service is not answering"))
            reply, buttons, replied_cards = APOLOGIES.get(self.state.language, APOLOGY), [], [dict(UNAVAILABLE_CARD)]
        stages["dialogue_ms"] = round((time.perf_counter() - started) * 1000)
        _LOG.info(
            "session %s turn %d: %s -> %s (%d ms)",
            self.state.session_id,
            self.state.turns + 1,
            loggable(text),  # the text itself only with LOBBY_LOG_TEXT=1 (privacy/logtext.py)
            loggable(reply),
            stages["dialogue_ms"],
        )
        farewell = any(card.get("kind") == "farewell" for card in replied_cards)
        utterance = new_id()
        await self.push_frame(
            OutputTransportMessageFrame(
                message={
                    "type": "bot_message",
                    "utterance_id": utterance,
                    "text": reply,
                    "buttons": buttons,
                    "card": replied_cards[0] if replied_cards else None,
                    "cards": replied_cards,
                }
            )
        )
        turn_started = started - (transcript.elapsed_ms / 1000 if transcript is not None else 0)
        await self.push_frame(
            BotReplyFrame(
                utterance_id=utterance,
                text=reply,
                buttons=buttons,
                cards=replied_cards,
                stages=stages,
                turn_started=turn_started,
                farewell=farewell,
            )
        )
