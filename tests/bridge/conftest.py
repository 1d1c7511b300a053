"""Bridge fixtures: a kiosk (`testkit.kiosk.Kiosk`, protocol v1 over a real websocket) connected to the
real bridge (the `bridge` fixture in tests/conftest.py) against the real dialogue servers."""

from __future__ import annotations

import pytest

from testkit.kiosk import Kiosk


@pytest.fixture
def kiosk(bridge):
    with Kiosk(bridge.url) as k:
        yield k
