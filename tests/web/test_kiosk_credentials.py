"""A kiosk page proves its kiosk id with the kiosk's own secret, given in the address's fragment as `make run`
prints it (docs/security.md): it connects as that kiosk; without the secret the bridge refuses it."""

from __future__ import annotations

import httpx

from avatar_bridge import kiosk_secrets
from avatar_bridge.access import KioskSecrets
from testkit.browser import ask, start_kiosk


def test_the_kiosk_page_connects_with_its_secret_and_is_refused_without(page, make_bridge, tmp_path):
    path = tmp_path / "kiosk-secrets.yml"
    kiosk_secrets.ensure(path, ["entrance"])
    server = make_bridge(kiosk_secrets_file=str(path))
    start_kiosk(page, server, f"?kiosk=entrance#token={KioskSecrets(path).secret('entrance')}")
    ask(page, "how do I apply for a passport?")
    assert httpx.get(f"{server.http}/health").json()["web_sessions"] == 0  # a kiosk, not an anonymous web citizen
    impostor = page.context.new_page()
    impostor.goto(f"{server.http}/kiosk?kiosk=entrance")
    impostor.get_by_role("button", name="Touch to start").click()
    impostor.wait_for_selector('#connection[data-status="refused"]')
