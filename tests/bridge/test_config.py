"""The bridge's settings: one object, read once at start-up, from the command line over the environment.

Also: the knowledge base folder (LOBBY_KB_DIR / --kb-dir) reaches the bridge's
cards and kiosk positions, so the screen and the pointing agree with what the
action server says when a hall runs its own knowledge base.
"""

from __future__ import annotations

import dataclasses
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from fastapi import FastAPI
from fastapi.testclient import TestClient

from avatar_bridge.config import BridgeConfig, ConfigError, KioskFileError, rasa_url_from_env
from avatar_bridge.web_routes import mount_web

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def small_kb(tmp_path):
    """A second, small knowledge base: two services, a hall with a kiosk the default one does not have."""
    root = tmp_path / "kb"
    (root / "services").mkdir(parents=True)
    for name in ("id_card", "passport_travel_permit"):
        service = yaml.safe_load((ROOT / "data" / "services" / f"{name}.yml").read_text())
        service["related"] = []
        if name == "id_card":
            service["location"]["windows"] = ["C16"]
        (root / "services" / f"{name}.yml").write_text(yaml.safe_dump(service, allow_unicode=True))
    hall = yaml.safe_load((ROOT / "data" / "hall.yml").read_text())
    hall["kiosks"].append(
        {"id": "side-door", "name": "Side door", "floor": 1, "position": {"x": 2, "y": 2}, "facing_deg": 90}
    )
    (root / "hall.yml").write_text(yaml.safe_dump(hall, allow_unicode=True))
    return root


def kiosk_file(tmp_path, position: str):
    path = tmp_path / "kiosks.yml"
    path.write_text(yaml.safe_dump({"kiosks": [{"kiosk_id": "k1", "position": position}]}))
    return path


def test_kiosk_positions_are_checked_against_the_configured_knowledge_base(small_kb, tmp_path):
    path = kiosk_file(tmp_path, "side-door")
    config = BridgeConfig.from_env({"LOBBY_KB_DIR": str(small_kb)}, kiosk_file=str(path))
    assert config.kb_dir == str(small_kb)
    assert config.profile("k1").position == "side-door"
    with pytest.raises(KioskFileError, match="side-door"):
        BridgeConfig.from_env({}, kiosk_file=str(path))  # the default data/ has no such kiosk


def test_the_card_facts_come_from_the_configured_knowledge_base(small_kb):
    app = FastAPI()
    mount_web(app, kb_dir=str(small_kb))
    with TestClient(app) as client:
        facts = client.get("/api/services/id_card").json()
        assert facts["location"]["windows"] == ["C16"]
        assert client.get("/api/services/senior_card").status_code == 404  # only in the default knowledge base
    app = FastAPI()
    mount_web(app)
    with TestClient(app) as client:
        assert client.get("/api/services/id_card").json()["location"]["windows"] != ["C16"]


def test_command_line_beats_environment_beats_default():
    env = {"LOBBY_BRIDGE_PORT": "9100", "LOBBY_BRIDGE_TOKEN": "from-env"}
    assert BridgeConfig.from_env({}).port == BridgeConfig.port
    assert BridgeConfig.from_env(env).port == 9100
    parser = BridgeConfig.argument_parser()
    args = vars(parser.parse_args(["--port", "9200", "--end-silence", "1.5", "--keep-recordings", "/tmp/r"]))
    config = BridgeConfig.from_env(env, **args)
    assert (config.port, config.token, config.end_silence_s, config.recordings_dir) == (9200, "from-env", 1.5, "/tmp/r")


def test_every_setting_has_a_command_line_option():
    parser = BridgeConfig.argument_parser()
    dests = {action.dest for action in parser._actions}
    settings = {f.name for f in dataclasses.fields(BridgeConfig) if f.name != "kiosks"}
    assert settings <= dests
    help_text = subprocess.run(
        [sys.executable, "-m", "avatar_bridge", "--help"], capture_output=True, text=True, cwd=ROOT, check=True
    ).stdout
    for flag in ("--end-silence", "--kiosk-config", "--keep-recordings", "--kb-dir", "LOBBY_BRIDGE_TOKEN"):
        assert flag in help_text


def test_the_dialogue_core_url_is_parsed_in_one_place():
    assert rasa_url_from_env({}) == "http://127.0.0.1:5005"
    assert rasa_url_from_env({"LOBBY_RASA_PORT": "6123"}) == "http://127.0.0.1:6123"
    assert rasa_url_from_env({"LOBBY_RASA_URL": "http://dialogue:5005/", "LOBBY_RASA_PORT": "1"}) == (
        "http://dialogue:5005"
    )
    with pytest.raises(ConfigError, match="LOBBY_RASA_PORT"):
        rasa_url_from_env({"LOBBY_RASA_PORT": "fifty"})


def test_a_bad_environment_value_stops_start_up_with_its_name():
    result = subprocess.run(
        [sys.executable, "-m", "avatar_bridge"],
        capture_output=True,
        text=True,
        cwd=ROOT,
        env={"PATH": "/usr/bin", "LOBBY_BRIDGE_PORT": "eighty"},
    )
    assert result.returncode == 2
    assert "LOBBY_BRIDGE_PORT='eighty'" in result.stderr
