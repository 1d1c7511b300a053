"""The bridge's dialogue client on its own, against real loopback sockets that misbehave as a failing Rasa does:
the deadline bounds the whole turn, and an empty reply is a failure (fast: no Rasa needed)."""

from __future__ import annotations

import asyncio
import json

import pytest

from avatar_bridge.rasa import DialogueUnavailable, RasaClient


async def serve(handler) -> tuple[asyncio.AbstractServer, str]:
    server = await asyncio.start_server(handler, "127.0.0.1", 0)
    return server, f"http://127.0.0.1:{server.sockets[0].getsockname()[1]}"


async def test_a_core_that_accepts_and_never_answers_is_cut_at_the_deadline():
    async def hang(reader, writer):
        await reader.read(65536)  # takes the request, answers nothing, as a SIGSTOPped Rasa's backlog does
        await asyncio.sleep(3600)

    server, url = await serve(hang)
    client = RasaClient(url, timeout_s=10.0, retries=2, deadline_s=0.5)
    try:
        with pytest.raises(DialogueUnavailable, match="deadline"):
            await client.send("s1", "hello", {})
    finally:
        await client.aclose()
        server.close()


async def test_an_empty_reply_is_a_failure_and_is_not_sent_twice():
    requests = []

    async def empty(reader, writer):
        requests.append(await reader.read(65536))
        body = json.dumps([]).encode()
        writer.write(
            b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: %d\r\n\r\n%s" % (len(body), body)
        )
        await writer.drain()
        writer.close()

    server, url = await serve(empty)
    client = RasaClient(url, retries=2, deadline_s=5.0)
    try:
        with pytest.raises(DialogueUnavailable, match="empty reply"):
            await client.send("s1", "what does it cost?", {})
        assert len(requests) == 1, "Rasa has recorded the message: it is not sent again"
    finally:
        await client.aclose()
        server.close()
