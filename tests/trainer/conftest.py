"""Trainer fixtures: the weakened project copy (testkit.trainer), its baseline trained by the trainer,
its own Rasa + action servers, the trainer's web server with accounts, and a real Chromium.

Why a weakened workspace: the whole loop needs a live model that gets real phrasings wrong. The
workspace is a copy of the project whose `hall_hours` intent keeps only two training examples, and
whose DIET runs 20 epochs instead of 60, so the baseline trains in about two minutes on two cores.
Trainings share a Rasa cache under var/ (`var/trainer-test-cache`), so a second run of these tests
restores unchanged components instead of training them again. The repository's data/ and models/
are never touched: every test writes only inside its temporary copy.
"""

from __future__ import annotations

import pytest
from playwright.sync_api import Browser, Page, sync_playwright

from testkit import PINNED_NOW
from testkit.dialogue import DialogueServers
from testkit.trainer import TrainerServer, add_accounts, copy_project, settings_for
from trainer import jobs
from trainer.config import Settings
from trainer.state import State

CHROMIUM = "/usr/bin/chromium"
TIMEOUT_MS = 30_000


@pytest.fixture(scope="session")
def workspace(tmp_path_factory) -> Settings:
    """The weakened project copy with its baseline model trained by the trainer's training step."""
    project = copy_project(tmp_path_factory.mktemp("trainer") / "project")
    settings = settings_for(project)
    settings.ensure_dirs()
    state = State.open(settings.state_db_url)
    job = jobs.create(settings, state, "train", "setup")
    # Only the training step: the baseline's scores are measured later through the running server.
    name = jobs.train(jobs.JobContext(settings, state, job))
    jobs.finish(state, job, "succeeded", {"model": name})
    (settings.model_dir / "current").write_text(name + "\n")
    return settings


@pytest.fixture(scope="session")
def servers(workspace, tmp_path_factory):
    """Our own Rasa + action servers serving the workspace's baseline (PUT /model changes what they serve)."""
    model = workspace.model_dir / f"{(workspace.model_dir / 'current').read_text().strip()}.tar.gz"
    s = DialogueServers(workdir=tmp_path_factory.mktemp("trainer-dialogue"), now=PINNED_NOW, model=model).start()
    yield s
    s.stop()


@pytest.fixture(scope="session")
def live(workspace, servers) -> Settings:
    """The workspace's settings pointed at the running servers, with an admin and an annotator."""
    # The workspace trains 20 epochs instead of 60, so its per-intent F1 moves more between two
    # trainings than production's: its gate keeps the margin the smaller split needed (0.15).
    # Production's default, 0.05, is checked by the role test's refusal message.
    settings = settings_for(workspace.project, servers, gate_margin=0.15)
    add_accounts(settings)
    return settings


@pytest.fixture(scope="session")
def trainer(live):
    server = TrainerServer(live).start()
    yield server
    server.stop()


@pytest.fixture(scope="module")  # Playwright's sync API holds an event loop on the main thread: release it
def trainer_browser() -> Browser:  # after each module, or later asyncio tests (tests/voice) cannot run
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox", "--disable-gpu"])
        yield browser
        browser.close()


@pytest.fixture
def page(trainer_browser) -> Page:
    context = trainer_browser.new_context(viewport={"width": 1400, "height": 1000})
    context.set_default_timeout(TIMEOUT_MS)
    yield context.new_page()
    context.close()
