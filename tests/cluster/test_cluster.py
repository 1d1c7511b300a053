"""Several instances of each service: nothing a citizen started is lost when one of them dies.

Real processes throughout (cluster/services.py): kiosks reach the bridges through HAProxy, the bridges
send each conversation to one of two Rasa instances, whose trackers live in PostgreSQL; tickets from two
action servers share one PostgreSQL table.
"""

from __future__ import annotations

import datetime as dt
import os
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
import pytest
from websockets.exceptions import ConnectionClosed

from avatar_bridge.rasa import instance_order
from kb import load_knowledge_base
from testkit import PINNED_NOW
from testkit.kiosk import Kiosk
from testkit.servers import free_port

TEXT_ONLY = {"audio_in": False, "audio_out": False, "visemes": False, "gestures": False}
PASSPORT = "passport_travel_permit"


def tracker_slot(cluster, rasa_url: str, sender: str, slot: str):
    r = httpx.get(f"{rasa_url}/conversations/{sender}/tracker", params={"token": cluster.rasa_token}, timeout=30)
    r.raise_for_status()
    return r.json()["slots"].get(slot)


def serving_bridge(cluster):
    """The bridge process that holds the one open kiosk connection."""
    up = [b for b in cluster.bridge if b.running]
    busy = [b for b in up if httpx.get(f"{b.url}/health", timeout=10).json()["active_sessions"] > 0]
    assert len(busy) == 1, "exactly one bridge should hold the kiosk's connection"
    return busy[0]


def test_an_activation_reaches_every_rasa_instance_and_names_one_that_did_not(cluster, tmp_path):
    from trainer import models
    from trainer.config import Settings
    from trainer.state import State

    model_dir = tmp_path / "models"
    model_dir.mkdir()
    live = Path(cluster.rasa[0].cmd[cluster.rasa[0].cmd.index("--model") + 1])
    os.link(live, model_dir / live.name)
    os.link(live, model_dir / "lobby-candidate.tar.gz")  # a new model; the same weights keep the test short
    unreachable = f"http://127.0.0.1:{free_port()}"  # an instance that is down: nothing listens there
    settings = Settings(
        rasa_url=",".join([*cluster.rasa_urls, unreachable]),
        rasa_token=cluster.rasa_token,
        state_dir=tmp_path / "trainer",
        model_dir=model_dir,
    )
    state = State.open(f"sqlite:///{tmp_path / 'trainer.db'}")
    said: list[str] = []

    out = models.activate(
        settings, state, "lobby-candidate", "ada", "same weights under a new name (cluster test)", say=said.append
    )

    assert [models.live_models(settings)[url] for url in cluster.rasa_urls] == ["lobby-candidate"] * 2
    assert list(out["not_reached"]) == [unreachable] and "not reachable" in out["not_reached"][unreachable]
    assert any(unreachable in line for line in said), said


def test_tickets_issued_at_once_by_two_action_servers_are_unique_and_consecutive(cluster):
    kb = load_knowledge_base()
    service = kb.get(PASSPORT)
    zone = service.location.zone
    prefix = kb.hall.ticket_zones.get(zone, zone)
    servers = [a.url for a in cluster.actions]

    def ask(i: int) -> dict:
        sender = f"ticket-{i:03d}"
        body = {
            "next_action": "action_issue_ticket",
            "sender_id": sender,
            "tracker": {
                "sender_id": sender,
                "slots": {"service": PASSPORT},
                "latest_message": {"text": "a ticket please", "intent": {"name": "queue_ticket"}, "entities": []},
                "events": [],
                "paused": False,
                "followup_action": None,
                "active_loop": {},
                "latest_action_name": None,
            },
            "domain": {},
            "version": "3.6.21",
        }
        r = httpx.post(f"{servers[i % 2]}/webhook", json=body, timeout=60)
        r.raise_for_status()
        return r.json()

    with ThreadPoolExecutor(32) as pool:
        replies = list(pool.map(ask, range(200)))

    said = [r["responses"][0]["text"] for r in replies]
    assert all("Your ticket number is" in text for text in said), said[:3]
    day = dt.datetime.fromisoformat(PINNED_NOW).date().isoformat()
    numbers = [row[0] for row in cluster.postgres.query("SELECT number FROM tickets WHERE day = %s", (day,))]
    assert sorted(numbers) == [f"{prefix}{n:03d}" for n in range(1, 201)]
    # each citizen was told the number that was stored for them
    stored = dict(cluster.postgres.query("SELECT conversation_id, number FROM tickets WHERE day = %s", (day,)))
    assert all(stored[f"ticket-{i:03d}"] in said[i] for i in range(200))


def test_a_conversation_continues_when_its_rasa_instance_dies(cluster):
    with Kiosk(cluster.kiosk_ws) as k:
        session = k.hello("entrance", capabilities=TEXT_ONLY)["session_id"]
        first = k.turn("how do I apply for a passport?")["bot"]["card"]
        assert first["service_id"] == PASSPORT
        own, other = instance_order(session, cluster.rasa_urls)
        dying = next(r for r in cluster.rasa if r.url == own)
        dying.kill()
        try:
            follow_up = k.turn("how much is it?")["bot"]["card"]
            # the other instance read the conversation from PostgreSQL: it still knows which service it is about
            assert follow_up["service_id"] == PASSPORT and follow_up["topic"] == "fee"
            assert tracker_slot(cluster, other, session, "service") == PASSPORT
        finally:
            dying.start()  # the next tests want both instances again


def test_a_kiosk_resumes_its_conversation_through_haproxy_after_its_bridge_dies(cluster):
    with Kiosk(cluster.kiosk_ws) as k:
        session = k.hello("entrance", capabilities=TEXT_ONLY)["session_id"]
        assert k.turn("how do I apply for a passport?")["bot"]["card"]["service_id"] == PASSPORT
        dying = serving_bridge(cluster)
        dying.kill()
        with pytest.raises(ConnectionClosed):  # HAProxy drops the kiosk's connection with its bridge
            while True:
                k.recv()
    try:
        # the kiosk reconnects to the same address, as the page does, and asks to continue
        with Kiosk(cluster.kiosk_ws) as k:
            resumed = k.hello("entrance", capabilities=TEXT_ONLY, resume={"session_id": session})
            assert resumed["reason"] == "resume" and resumed["session_id"] == session
            assert serving_bridge(cluster) is not dying
            card = k.turn("how much is it?")["bot"]["card"]
        assert card["service_id"] == PASSPORT and card["topic"] == "fee"
    finally:
        dying.start()


def test_a_conversation_that_ended_on_one_bridge_cannot_be_resumed_on_another(cluster):
    with Kiosk(cluster.kiosk_ws) as k:
        ended = k.hello("entrance", capabilities=TEXT_ONLY)["session_id"]
        k.turn("how do I apply for a passport?")
        first = serving_bridge(cluster)
        k.send({"type": "reset"})  # the citizen walked away: the next one must not inherit this conversation
        k.wait("session", reason="reset")
    other = next(b for b in cluster.bridge if b is not first and b.running)
    with Kiosk(other.url.replace("http", "ws") + "/ws") as k:
        session = k.hello("entrance", capabilities=TEXT_ONLY, resume={"session_id": ended})
        error = next(m for m in k.messages if m["type"] == "error")
    assert error["code"] == "bad_session" and "has ended" in error["message"]  # the registry in Redis said so
    assert session["reason"] == "hello" and session["session_id"] != ended


def test_the_readiness_probes_of_the_deployment_files_answer_on_running_instances(cluster):
    import yaml

    instances = {5005: cluster.rasa, 5055: cluster.actions, 8765: cluster.bridge}  # by the port deploy/ gives them
    probes = []
    for path in sorted((Path(__file__).resolve().parents[2] / "deploy" / "k8s").glob("*.yaml")):
        for doc in yaml.safe_load_all(path.read_text()):
            if doc["kind"] in ("Deployment", "StatefulSet"):
                probes += [c["readinessProbe"]["httpGet"] for c in doc["spec"]["template"]["spec"]["containers"]]
    checked = [(p["path"], i.url) for p in probes if p["port"] in instances for i in instances[p["port"]] if i.running]
    assert len({url for _, url in checked}) == 6  # two Rasa, two action servers, two bridges
    for probe_path, url in checked:
        assert httpx.get(url + probe_path, timeout=30).status_code == 200, f"{url}{probe_path}"
