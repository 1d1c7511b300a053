"""The action server's replies are still checked in full when Rasa's per-turn schema re-check is replaced.

`rasa run` (nlu/rasa_cli.py) checks each reply against a schema compiled once. A reply Rasa would take
is taken, a reply Rasa would refuse is refused with Rasa's own wording, and the two checks agree on a set
of good and broken replies. Run inside the Rasa env, against Rasa's own RemoteAction.
"""

from __future__ import annotations

import pytest

from testkit.probe import probe_in

PROBE = r"""
import json
import jsonschema
from rasa.core.actions.action import RemoteAction
from nlu.action_reply_check import install

original = RemoteAction._validate_action_result
install()
action = RemoteAction("action_answer_service", None)

replies = {
    "good": {"events": [{"event": "slot", "name": "service", "value": "id_card"}],
             "responses": [{"text": "Window 3", "buttons": []}]},
    "empty": {},
    "events not a list": {"events": {"event": "slot"}},
    "an event with no type": {"events": [{"name": "service", "value": "id_card"}]},
    "an unknown event": {"events": [{"event": "teleport"}]},
    "a response that is a string": {"responses": ["Window 3"]},
}
out = {"installed": RemoteAction._validate_action_result is not original}
for name, reply in replies.items():
    try:
        jsonschema.validate(reply, RemoteAction.action_response_format_spec())
        rasa_says = "ok"
    except jsonschema.ValidationError:
        rasa_says = "refused"
    try:
        action._validate_action_result(reply)
        ours, message = "ok", ""
    except jsonschema.ValidationError as e:
        ours, message = "refused", e.message
    out[name] = {"rasa": rasa_says, "ours": ours, "message": message}
print(json.dumps(out))
"""


@pytest.fixture(scope="module")
def checked() -> dict:
    return probe_in("rasa", PROBE)


def test_the_compiled_check_replaces_rasas_own(checked):
    assert checked["installed"]


def test_a_good_reply_is_taken(checked):
    assert checked["good"]["ours"] == "ok"
    assert checked["empty"]["ours"] == "ok"


def test_a_broken_reply_is_refused_with_rasas_wording(checked):
    for name in ("events not a list", "an event with no type", "an unknown event", "a response that is a string"):
        assert checked[name]["ours"] == "refused", name
        assert "Failed to validate Action server response" in checked[name]["message"], name


def test_it_agrees_with_rasas_check_on_every_reply(checked):
    for name, verdict in checked.items():
        if name != "installed":
            assert verdict["ours"] == verdict["rasa"], name
