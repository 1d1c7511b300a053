"""The dialogue core's REST channel under generated bodies: it answers, refuses what is malformed with a 400,
logs no failure, and keeps every other citizen's conversation as it was.

POST /webhooks/rest/webhook is what the bridge, the trainer and `make chat` use, and what anyone on the
network can reach if the dialogue core is exposed. Runs against the real Rasa + action servers.
Invariants after every body: an answer (never a 5xx, never a hang), the documented status (200 with a list
of messages for a well-formed body, 400 for a malformed one), no failure or traceback in Rasa's log, the
next good message of the same sender answered, and a bystander's conversation unchanged.
"""

from __future__ import annotations

import json
import uuid

import httpx
import pytest
from hypothesis import given
from hypothesis import strategies as st

from testkit.dialogue import Conversation
from tests.fuzz.profile import fuzz_settings
from tests.fuzz.strategies import ODD_CHARS, json_values
from tests.fuzz.tally import TALLY

TARGET = "dialogue"
FAILURE_MARKS = ("Traceback", "rest.message.received.failure", "Exception occurred while handling uri")


def well_formed(body: object) -> bool:
    """What the REST channel accepts (nlu/channels.py, docs/security/fuzzing.md): an object with a string
    `sender` of 1 to 256 characters, a string `message`, and an object `metadata` if any; other keys (such as
    `input_channel`, which the channel ignores) are allowed."""
    if not isinstance(body, dict):
        return False
    sender, message, metadata = body.get("sender"), body.get("message"), body.get("metadata", {})
    return (
        isinstance(sender, str) and 0 < len(sender) <= 256 and isinstance(message, str) and isinstance(metadata, dict)
    )


MESSAGES = st.one_of(
    st.text(ODD_CHARS, max_size=80),
    st.sampled_from(["", " ", "/", "/greet", '/ask_materials{"x": 1}', "/nonexistent_intent", "\x00", "😀" * 50]),
    st.integers(1000, 6000).map(lambda n: "passport " * (n // 9)),  # a long message
)


@st.composite
def bodies(draw) -> object:
    sender = f"fuzz-{uuid.uuid4().hex[:12]}"
    body = {"sender": sender, "message": draw(MESSAGES)}
    if draw(st.booleans()):
        body["metadata"] = {"kiosk_id": "entrance", "language": draw(st.sampled_from(["en", "zh"]))}
    how = draw(st.sampled_from(["valid", "valid", "drop", "retype", "extra", "not_object", "sender"]))
    if how == "drop":
        body.pop(draw(st.sampled_from(sorted(body))))
    elif how == "retype":
        body[draw(st.sampled_from(["sender", "message", "metadata", "input_channel"]))] = draw(json_values)
    elif how == "extra":
        body[draw(st.text(ODD_CHARS, max_size=20))] = draw(json_values)
    elif how == "not_object":
        return draw(json_values.filter(lambda v: not isinstance(v, dict)))
    elif how == "sender":
        body["sender"] = draw(st.sampled_from(["", "s" * 257, "default", "../../etc/passwd", "a\u202eb"]))
    return body


@pytest.fixture(scope="module")
def rasa_log(dialogue):
    path = dialogue.workdir / "rasa.log"

    class Log:
        seen = path.stat().st_size if path.exists() else 0

        def new_failures(self) -> list[str]:
            with path.open("rb") as f:
                f.seek(self.seen)
                text = f.read().decode("utf-8", "replace")
            self.seen += len(text.encode("utf-8", "replace"))
            return [line for line in text.splitlines() if any(mark in line for mark in FAILURE_MARKS)]

    return Log()


@pytest.fixture(scope="module")
def bystander(dialogue):
    """A citizen mid-conversation about a newborn: the fuzzing must not touch their conversation."""
    citizen = Conversation(dialogue)
    citizen.say("my wife just had a baby, what do I need to do?")
    return citizen, len(citizen.tracker()["events"])


@fuzz_settings(60)
@given(body=bodies(), raw=st.sampled_from([None, None, None, b"{", b"", b"\xff\xfe", b"[]", b"null"]))
def test_any_body_is_answered_with_200_or_400_and_the_sender_can_go_on(dialogue, rasa_log, bystander, body, raw):
    url = f"{dialogue.rasa_url}/webhooks/rest/webhook"
    content = raw if raw is not None else json.dumps(body, ensure_ascii=False, allow_nan=True).encode()
    valid = raw is None and well_formed(body)
    with TALLY.timed(TARGET):
        r = httpx.post(url, content=content, headers={"content-type": "application/json"}, timeout=120)
    TALLY.case(TARGET, bad=not valid)
    assert r.status_code == (200 if valid else 400), (content[:300], r.status_code, r.text[:300])
    if valid:
        assert isinstance(r.json(), list)
        sender = body["sender"]
    else:
        sender = f"fuzz-{uuid.uuid4().hex[:12]}"
    assert rasa_log.new_failures() == []
    with TALLY.timed(TARGET):
        after = httpx.post(url, json={"sender": sender, "message": "hello"}, timeout=120)
    assert after.status_code == 200 and any(m.get("text") for m in after.json())
    citizen, events = bystander
    assert len(citizen.tracker()["events"]) == events


def test_a_message_without_a_sender_is_refused_rather_than_shared(dialogue):
    """Rasa files a message without `sender` under the one conversation "default": two anonymous clients
    would read each other's answers (and form slots). The REST channel refuses it instead."""
    url = f"{dialogue.rasa_url}/webhooks/rest/webhook"
    r = httpx.post(url, json={"message": "my name is Li Lei"}, timeout=60)
    assert r.status_code == 400 and "sender" in r.text
