"""Annotation and curation write the NLU data safely: layout kept, duplicates and conflicts refused,
personal data and held-back test phrases kept out, every change in the audit log."""

from __future__ import annotations

import difflib

import pytest

from testkit.trainer import TrainerServer, add_accounts, cli, copy_project, flashes, settings_for

pytestmark = pytest.mark.slow  # the trainer's CLI and web server on a project copy (about a minute)


@pytest.fixture(scope="module")
def editable(tmp_path_factory):
    """A fresh weakened project copy (no training needed) with its own trainer web server."""
    settings = settings_for(copy_project(tmp_path_factory.mktemp("data") / "project"))
    add_accounts(settings)
    server = TrainerServer(settings).start()
    yield server
    server.stop()


def nlu_text(server: TrainerServer) -> str:
    return (server.settings.nlu_dir / "nlu.yml").read_text()


def annotate(client, text: str, intent: str, **extra) -> list[str]:
    r = client.post("/annotate", {"text": text, "intent": intent, **extra})
    assert r.status_code == 200
    return flashes(r.text)


def test_annotation_adds_one_line_and_keeps_comments_and_layout(editable):
    before = nlu_text(editable)
    ann = editable.client("ann")
    assert annotate(ann, "what time do you close on fridays", "hall_hours") == [
        "Added to hall_hours in data/nlu/nlu.yml: what time do you close on fridays"
    ]
    after = nlu_text(editable)
    changed = [ln for ln in difflib.ndiff(before.splitlines(), after.splitlines()) if ln[:1] in "+-"]
    assert changed == ["+     - what time do you close on fridays"]
    assert after.startswith("# Lobby Guide NLU training data")


def test_service_span_is_written_as_an_entity_with_its_knowledge_base_id(editable):
    ann = editable.client("ann")
    messages = annotate(ann, "where do I fix my id card please", "find_window", span="id card", service="id_card")
    assert messages == ['Added to find_window in data/nlu/nlu.yml: where do I fix my [id card]{"entity": "service", '
                        '"value": "id_card"} please']  # fmt: skip
    assert '    - where do I fix my [id card]{"entity": "service", "value": "id_card"} please\n' in nlu_text(editable)


def test_same_text_with_the_same_label_is_not_added_twice(editable):
    ann = editable.client("ann")
    annotate(ann, "is the hall open on boxing day", "hall_hours")
    before = nlu_text(editable)
    assert annotate(ann, "Is the hall open on Boxing Day?", "hall_hours")[0].startswith(
        "'Is the hall open on Boxing Day?' is already a training example of hall_hours"
    )
    assert nlu_text(editable) == before


def test_conflicting_label_is_refused_with_an_explanation(editable):
    ann = editable.client("ann")
    before = nlu_text(editable)
    [message] = annotate(ann, "hello there", "hall_hours")
    assert message.startswith("Not added: 'hello there' is already labelled 'greet' in data/nlu/nlu.yml.")
    assert "move that example to 'hall_hours' in Intents instead" in message
    assert nlu_text(editable) == before
    result = cli(editable.settings, "annotate", "hello there", "--intent", "hall_hours", "--user", "ann")
    assert result.returncode == 2
    assert "refused: 'hello there' is already labelled 'greet'" in result.stderr


def test_personal_data_and_held_back_test_phrases_are_refused(editable):
    ann = editable.client("ann")
    before = nlu_text(editable)
    [phone] = annotate(ann, "call me on 13812345678 about my hukou", "ask_service")
    assert "contains a phone number" in phone
    [held_back] = annotate(ann, "what's your morning opening time", "hall_hours")
    assert "held-back test split" in held_back
    [unknown] = annotate(ann, "sing me a song", "sing")
    assert "'sing' is not an intent of this assistant" in unknown
    assert nlu_text(editable) == before


def test_curation_edits_moves_and_deletes_examples_with_an_audit_trail(editable):
    ann = editable.client("ann")
    page = ann.get("/intents/hall_hours").text
    assert "Too few examples" in page
    r = ann.post("/intents/hall_hours/edit", {"index": "1", "expected": "hours", "text": "your hours?"})
    assert flashes(r.text) == ["Changed 'hours' to 'your hours?'"]
    assert "    - your hours?\n" in nlu_text(editable) and "    - hours\n" not in nlu_text(editable)
    r = ann.post("/intents/hall_hours/move", {"index": "1", "expected": "your hours?", "to": "facilities"})
    assert flashes(r.text) == ["Moved 'your hours?' from hall_hours to facilities"]
    facilities = ann.get("/intents/facilities").text
    assert "your hours?" in facilities
    r = ann.post("/intents/hall_hours/edit", {"index": "0", "expected": "stale text", "text": "x"})
    assert "changed by someone else" in flashes(r.text)[0]
    audit = ann.get("/audit").text
    assert "edit_example" in audit and "move_example" in audit and "ann" in audit


def test_intents_page_warns_about_too_few_examples_and_look_alikes(editable):
    ann = editable.client("ann")
    r = ann.post("/intents/facilities/add", {"text": "what are your opening hours please"})
    assert flashes(r.text) == ["Added to facilities: what are your opening hours please"]
    page = ann.get("/intents").text
    row = page.split('data-intent="hall_hours"', 1)[1].split("</tr>", 1)[0]
    assert "too few examples" in row
    similar = page.split('id="similar"', 1)[1]
    assert "what are your opening hours please" in similar and "what are your opening hours" in similar


def test_every_form_needs_the_csrf_token(editable):
    ann = editable.client("ann")
    before = nlu_text(editable)
    r = ann.post("/annotate", {"text": "are you open at dawn", "intent": "hall_hours"}, csrf=False)
    assert r.status_code == 403 and "CSRF check failed" in r.text
    assert nlu_text(editable) == before
