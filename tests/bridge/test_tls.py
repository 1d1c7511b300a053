"""wss:// behind TLS (docs/security.md, "Deploying behind TLS"): HAProxy terminates TLS with a certificate the
test makes, the real bridge behind it speaks plain websocket; a citizen's browser talks to the guide only over
TLS, and the bridge's own pages keep opening their websocket through the proxy (same origin)."""

from __future__ import annotations

import ssl

import httpx
import pytest
import websockets

from cluster.engines import Backend, HAProxy
from testkit.kiosk import Kiosk
from testkit.servers import free_port
from testkit.tls import self_signed

TEXT_ONLY = {"audio_in": False, "audio_out": False, "visemes": False, "gestures": False}


@pytest.fixture(scope="module")
def tls(tmp_path_factory):
    return self_signed(tmp_path_factory.mktemp("tls"))


@pytest.fixture(scope="module")
def proxy(make_bridge, tls):
    bridge = make_bridge()
    # HAProxy runs under its own account: its folder is a fresh one it can enter (pytest's are owner-only)
    haproxy = HAProxy([Backend("guide", free_port(), [bridge.port], tls_cert=tls.pem)])
    haproxy.start()
    yield f"localhost:{haproxy.backends[0].port}"
    haproxy.stop()


def test_health_answers_over_https_with_the_proxy_s_certificate(proxy, tls):
    reply = httpx.get(f"https://{proxy}/health", verify=tls.client_context())
    assert reply.status_code == 200 and reply.json()["protocol"] == "1"
    assert reply.headers["strict-transport-security"].startswith("max-age=")
    with pytest.raises(httpx.ConnectError):  # a client that does not trust the certificate gets no answer
        httpx.get(f"https://{proxy}/health")


def test_a_citizen_talks_to_the_guide_over_wss(proxy, tls):
    with Kiosk(f"wss://{proxy}/ws", origin=f"https://{proxy}", ssl=tls.client_context()) as k:
        session = k.hello("lobby", capabilities=TEXT_ONLY)
        assert session["reason"] == "hello"
        assert k.turn("how do I apply for a passport?")["bot"]["card"]["service_id"] == "passport_travel_permit"


def test_the_proxy_limits_open_connections_per_address_across_bridges(make_bridge, tls):
    """Each bridge limits web sessions per address among its own connections; the proxy in front of all of them
    caps what one address holds open (deploy/haproxy-tls.cfg). Here 2: the third is refused, and once one
    closes, the address is served again."""
    bridge = make_bridge()
    haproxy = HAProxy([Backend("capped", free_port(), [bridge.port], tls_cert=tls.pem, max_conn_per_address=2)])
    haproxy.start()
    url = f"localhost:{haproxy.backends[0].port}"
    try:

        def kiosk() -> Kiosk:
            return Kiosk(f"wss://{url}/ws", origin=f"https://{url}", ssl=tls.client_context())

        with kiosk() as first, kiosk() as second:
            first.hello("lobby", capabilities=TEXT_ONLY)
            second.hello("lobby", capabilities=TEXT_ONLY)
            with pytest.raises((OSError, ssl.SSLError, websockets.exceptions.WebSocketException)), kiosk():
                pass
            second.send({"type": "ping", "id": "still served"})
            assert second.wait("pong")["id"] == "still served"
        with kiosk() as again:
            assert again.hello("lobby", capabilities=TEXT_ONLY)["reason"] == "hello"
    finally:
        haproxy.stop()
