"""Another knowledge base (LOBBY_KB_DIR) reaches every component: the answer, the card the kiosk shows,
where the avatar points and the words the recogniser listens for all come from it.

tests/fixtures/small_kb has two services whose windows and zones differ from data/: the passport
windows are R01/R02 in a zone to the right of the floor 2 kiosk (data/ has C13-C16, on its left), and
the passport has an alias only this knowledge base knows. A component still reading data/ shows C13,
points left, or misses the alias.
"""

from __future__ import annotations

import httpx
import pytest

from kb import load_knowledge_base
from testkit import PINNED_NOW
from testkit.dialogue import ROOT, VENVS, DialogueServers
from testkit.kiosk import Kiosk
from testkit.servers import free_port, start_process, stop

pytestmark = pytest.mark.slow  # its own Rasa, action server and bridge process

SMALL_KB = ROOT / "tests" / "fixtures" / "small_kb"
ONLY_HERE = "riverside blue booklet"  # an alias of the passport in SMALL_KB only


@pytest.fixture(scope="module")
def small_kb_guide(tmp_path_factory):
    """The action server, Rasa and the bridge (its own process, as `make run` starts it) on SMALL_KB."""
    workdir = tmp_path_factory.mktemp("small-kb")
    servers = DialogueServers(workdir=workdir, now=PINNED_NOW, knowledge_base=SMALL_KB).start()
    port = free_port()
    env = {**servers.env(), "LOBBY_KB_DIR": str(SMALL_KB)}
    cmd = [str(VENVS / "app" / "bin" / "python"), "-m", "avatar_bridge", "--port", str(port),
           "--rasa-url", servers.rasa_url, "--asr-model", "tiny.en", "--tts-variation", "0"]  # fmt: skip
    try:
        bridge, _ = start_process(
            cmd, f"http://127.0.0.1:{port}/health", workdir / "bridge.log", 300, cwd=ROOT, env=env
        )
    except BaseException:
        servers.stop()
        raise
    yield f"http://127.0.0.1:{port}"
    stop(bridge)
    servers.stop()


def test_the_fixture_differs_from_the_default_knowledge_base():
    small, default = load_knowledge_base(SMALL_KB), load_knowledge_base()
    assert set(small.services) == {"passport_travel_permit", "id_card"}
    assert small.services["passport_travel_permit"].location.windows == ["R01", "R02"]
    assert default.services["passport_travel_permit"].location.windows[0] != "R01"
    assert ONLY_HERE not in [a.lower() for a in default.services["passport_travel_permit"].aliases]


def test_every_loader_honours_lobby_kb_dir(monkeypatch):
    monkeypatch.setenv("LOBBY_KB_DIR", str(SMALL_KB))
    assert set(load_knowledge_base().services) == {"passport_travel_permit", "id_card"}


def test_recogniser_biasing_vocabulary_comes_from_lobby_kb_dir(monkeypatch):
    from voice.bias import knowledge_base_terms

    monkeypatch.setenv("LOBBY_KB_DIR", str(SMALL_KB))
    terms, names = knowledge_base_terms()
    lowered = [t.lower() for t in terms]
    assert "riverside test hall" in lowered and ONLY_HERE in lowered
    assert sorted(names) == ["Passport and travel permits", "Resident ID card"]
    others = {s.name.lower() for s in load_knowledge_base(ROOT / "data").services.values()} - {n.lower() for n in names}
    assert others and not others & set(lowered), "no other service of data/ is listened for"


def test_card_pointing_and_facts_come_from_lobby_kb_dir(small_kb_guide):
    ws = small_kb_guide.replace("http://", "ws://") + "/ws"
    with Kiosk(ws) as k:
        k.hello("floor2")
        k.turn("I need a passport")
        turn = k.turn("where is that?")
    card = turn["bot"]["card"]
    assert (card["service_id"], card["topic"]) == ("passport_travel_permit", "location")
    assert card["fields"]["location"]["windows"] == ["R01", "R02"], "the card shows the other knowledge base"
    assert "R01" in turn["bot"]["text"], "and the guide says it"
    assert card["fields"]["directions"]["gesture"] == "point_right", "zone C is on the right in this hall"
    points = [g for g in turn["gestures"] if g["name"].startswith("point_")]
    assert [(g["name"], g["target"]) for g in points] == [("point_right", "R01")], "the avatar points there"
    facts = httpx.get(f"{small_kb_guide}/api/services/passport_travel_permit", timeout=30).json()
    assert facts["service_id"] == "passport_travel_permit"
    assert "R01" in str(facts) and "C13" not in str(facts), "the bridge's own card facts use it too"
    assert httpx.get(f"{small_kb_guide}/api/services/tax_reconciliation", timeout=30).status_code == 404
