"""The cluster mode, started once for these tests: PostgreSQL, Redis, HAProxy, two Rasa instances, two action
servers and two bridges, each a real process on a free loopback port (cluster/services.py)."""

from __future__ import annotations

import pytest

from cluster.services import Cluster
from testkit import PINNED_NOW
from testkit.dialogue import current_model


@pytest.fixture(scope="module")
def cluster(tmp_path_factory):
    # The suite's relaxed dialogue deadline (tests/conftest.py): a Rasa instance's first turn after fail-over can
    # take longer than the production 2 s on the suite's loaded box.
    running = Cluster(
        tmp_path_factory.mktemp("cluster"), current_model(), now=PINNED_NOW, bridge_args=["--rasa-deadline", "30"]
    ).start(say=lambda _: None)
    yield running
    running.stop()
