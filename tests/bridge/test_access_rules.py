"""The access rules on their own (no servers): which origins pass the handshake, how the kiosk secrets file is
read, and that a broken one stops the bridge at start-up instead of letting kiosks in unchecked."""

from __future__ import annotations

import subprocess
import sys

import pytest

from avatar_bridge import kiosk_secrets
from avatar_bridge.access import KioskSecrets, KioskSecretsError, OriginPolicy, SessionAccess, WebLimits, WebQuota
from avatar_bridge.config import BridgeConfig, ConfigError
from avatar_bridge.gatekeeper import Gatekeeper
from avatar_bridge.protocol import ProtocolError


def test_only_the_bridge_s_own_pages_and_listed_origins_pass_the_handshake():
    policy = OriginPolicy.parse("https://City.Example.gov/, https://other.example")
    host = "guide.example.gov"
    assert policy.refusal("https://city.example.gov", host) is None
    assert policy.refusal("https://other.example", host) is None
    assert policy.refusal("https://guide.example.gov", host) is None  # a page the bridge served
    assert policy.refusal(None, host) is None  # not a browser: it must still prove a kiosk id at hello
    for foreign in ["https://evil.example", "https://city.example.gov.evil.example", "null", "http://guide.example"]:
        assert "not allowed" in policy.refusal(foreign, host)


def test_secrets_are_read_again_when_the_file_changes(tmp_path, monkeypatch):
    path = tmp_path / "kiosk-secrets.yml"
    kiosk_secrets.write(path, {"entrance": "e" * 20, "floor2": "env:FLOOR2_SECRET"})
    monkeypatch.setenv("FLOOR2_SECRET", "f" * 24)
    secrets = KioskSecrets(path)
    assert secrets.secret("entrance") == "e" * 20 and secrets.secret("floor2") == "f" * 24
    assert oct(path.stat().st_mode & 0o777) == "0o600"
    new = kiosk_secrets.rotate(path, "entrance")
    assert secrets.secret("entrance") == new != "e" * 20 and len(new) >= 40


@pytest.mark.parametrize(
    "text",
    ["kiosks: [entrance]\n", "kiosks:\n  entrance: short\n", "kiosks:\n  entrance: env:NOT_SET_ANYWHERE\n", ": :\n"],
)
def test_a_broken_secrets_file_stops_the_bridge_at_start_up(tmp_path, text):
    path = tmp_path / "kiosk-secrets.yml"
    path.write_text(text)
    with pytest.raises(ConfigError):
        Gatekeeper.from_config(BridgeConfig(kiosk_secrets_file=str(path)))
    with pytest.raises(KioskSecretsError):
        KioskSecrets(path).current()


def test_a_secrets_file_that_breaks_later_refuses_kiosks_but_not_the_web(tmp_path):
    path = tmp_path / "kiosk-secrets.yml"
    kiosk_secrets.write(path, {"entrance": "e" * 20})
    secrets = KioskSecrets(path)
    secrets.current()
    path.write_text("kiosks: [")
    access = SessionAccess("192.0.2.1", WebQuota(WebLimits()), secrets, kiosk_ids=frozenset({"entrance"}))
    with pytest.raises(ProtocolError) as refused:
        access.hello({"type": "hello", "kiosk_id": "entrance", "token": "e" * 20})
    assert refused.value.code == "bad_token"
    access.hello({"type": "hello", "kiosk_id": "web"})
    assert access.web


def test_the_command_line_makes_a_secret_for_every_kiosk_and_prints_its_page_address(tmp_path):
    path = tmp_path / "kiosk-secrets.yml"
    run = [sys.executable, "-m", "avatar_bridge.kiosk_secrets"]
    made = subprocess.run([*run, "ensure", "--file", str(path)], capture_output=True, text=True, check=True)
    assert "entrance" in made.stdout  # the kiosks of config/kiosks.yml
    url = subprocess.run([*run, "url", "floor2", "--file", str(path)], capture_output=True, text=True, check=True)
    secret = KioskSecrets(path).secret("floor2")
    assert url.stdout.strip() == f"http://127.0.0.1:8765/kiosk?kiosk=floor2#token={secret}"
    again = subprocess.run([*run, "ensure", "--file", str(path)], capture_output=True, text=True, check=True)
    assert "new for" not in again.stdout and KioskSecrets(path).secret("floor2") == secret
