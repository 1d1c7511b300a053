"""Trainer fixtures: a temporary project copy with one intent weakened, its own Rasa + action servers,
the trainer's web server, accounts, and a real Chromium.

Why a weakened workspace: the whole loop needs a live model that gets real phrasings wrong. The
workspace is a copy of the project whose `hall_hours` intent keeps only two training examples, and
whose DIET runs 20 epochs instead of 60, so the baseline trains in about two minutes on two cores.
The trainer itself trains that baseline (its first training job), then Rasa serves it. Trainings
share a Rasa cache under var/ (`var/trainer-test-cache`), so a second run of these tests restores
unchanged components instead of training them again. The repository's data/ and models/ are never
touched: every test writes only inside its temporary copy.
"""

from __future__ import annotations

import asyncio
import re
import shutil
import subprocess
import threading
import time
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
import uvicorn
from playwright.sync_api import Browser, Page, sync_playwright

from tests.conftest import PINNED_NOW
from tests.harness import ROOT, VENVS, DialogueServers, free_port
from trainer import jobs
from trainer.config import Settings
from trainer.state import State
from trainer.web import create_app

CHROMIUM = "/usr/bin/chromium"
TIMEOUT_MS = 30_000
RASA_CACHE = ROOT / "var" / "trainer-test-cache"
WEAK_INTENT = "hall_hours"
KEPT = ["what are your opening hours", "hours"]
PASSWORDS = {"ada": "ada-admin-pass", "ann": "ann-annotator-pass"}


def copy_project(dest: Path, weaken: bool = True, epochs: int = 20) -> Path:
    """A project directory the trainer may change freely: config, domain, data, the test split."""
    dest.mkdir(parents=True, exist_ok=True)
    for name in ("config.yml", "domain.yml"):
        shutil.copy(ROOT / name, dest / name)
    shutil.copytree(ROOT / "data", dest / "data", ignore=shutil.ignore_patterns("generated_*"))
    (dest / "tests" / "nlu").mkdir(parents=True)
    shutil.copy(ROOT / "tests" / "nlu" / "test_split.yml", dest / "tests" / "nlu" / "test_split.yml")
    (dest / "models" / "dialogue").mkdir(parents=True)
    config = dest / "config.yml"
    config.write_text(config.read_text().replace("epochs: 60", f"epochs: {epochs}"))
    if weaken:
        nlu = dest / "data" / "nlu" / "nlu.yml"
        text = nlu.read_text()
        start = text.index(f"- intent: {WEAK_INTENT}\n")
        end = text.index("\n- intent:", start + 1)
        block = f"- intent: {WEAK_INTENT}\n  examples: |\n" + "".join(f"    - {k}\n" for k in KEPT)
        nlu.write_text(text[:start] + block + text[end:])
    return dest


def settings_for(project: Path, servers: DialogueServers | None = None, **kw) -> Settings:
    return Settings(
        project=project,
        tracker_url=f"sqlite:///{servers.tracker_db}" if servers else f"sqlite:///{project / 'tracker.db'}",
        rasa_url=servers.rasa_url if servers else "http://127.0.0.1:9",
        rasa_token=servers.token if servers else "none",
        action_url=f"http://127.0.0.1:{servers.actions_port}/webhook" if servers else "",
        state_dir=project / "var" / "trainer",
        rasa_cache_dir=RASA_CACHE,
        **kw,
    )


def cli(settings: Settings, *args: str, stdin: str | None = None, timeout: float = 900) -> subprocess.CompletedProcess:
    """Run `python -m trainer` as a user would, against the given workspace."""
    cmd = [str(VENVS / "app" / "bin" / "python"), "-m", "trainer", "--project", str(settings.project),
           "--tracker-url", settings.tracker_url, "--rasa-url", settings.rasa_url, "--token", settings.rasa_token,
           "--state-dir", str(settings.state_dir), *args]  # fmt: skip
    env = {"PATH": "/usr/bin:/bin", "PYTHONPATH": str(ROOT), "HOME": str(settings.state_dir),
           "RASA_CACHE_DIRECTORY": str(RASA_CACHE), "MPLCONFIGDIR": str(settings.state_dir / "mpl")}  # fmt: skip
    return subprocess.run(cmd, cwd=ROOT, env=env, input=stdin, capture_output=True, text=True, timeout=timeout)


def add_accounts(settings: Settings) -> None:
    for name, role in (("ada", "admin"), ("ann", "annotator")):
        result = cli(settings, "users", "add", name, "--role", role, "--password-stdin", stdin=PASSWORDS[name] + "\n")
        assert result.returncode == 0, result.stderr


class TrainerServer:
    """The trainer's web app on a free loopback port (uvicorn in a thread, as `python -m trainer serve`)."""

    def __init__(self, settings: Settings):
        self.settings = settings
        self.port = free_port()
        self.app = create_app(settings)
        self.server = uvicorn.Server(uvicorn.Config(self.app, host="127.0.0.1", port=self.port, log_level="warning"))
        self.thread = threading.Thread(target=lambda: asyncio.run(self.server.serve()), daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> TrainerServer:
        self.thread.start()
        for _ in range(200):
            try:
                if httpx.get(f"{self.url}/login", timeout=1).status_code == 200:
                    return self
            except httpx.HTTPError:
                pass
            time.sleep(0.1)
        raise RuntimeError("trainer did not start")

    def stop(self) -> None:
        self.server.should_exit = True
        self.thread.join(10)

    def client(self, user: str | None = None) -> TrainerClient:
        c = TrainerClient(httpx.Client(base_url=self.url, timeout=60, follow_redirects=True))
        if user:
            c.login(user)
        return c


@dataclass
class TrainerClient:
    """A signed-in browser-less session (for role and API checks); forms carry the page's CSRF token."""

    http: httpx.Client
    csrf: str = ""

    def get(self, path: str, **kw) -> httpx.Response:
        r = self.http.get(path, **kw)
        m = re.search(r'name="csrf_token" value="([^"]+)"', r.text)
        if m:
            self.csrf = m.group(1)
        return r

    def post(self, path: str, data: dict | None = None, csrf: bool = True) -> httpx.Response:
        if csrf and not self.csrf:
            self.get("/login")
        return self.http.post(path, data={**(data or {}), **({"csrf_token": self.csrf} if csrf else {})})

    def login(self, user: str) -> None:
        self.get("/login")
        r = self.post("/login", {"username": user, "password": PASSWORDS[user]})
        assert r.status_code == 200 and "Sign out" in r.text, r.text[:500]
        self.get("/inbox")


def flashes(html: str) -> list[str]:
    import html as h

    return [h.unescape(m) for m in re.findall(r'<div class="flash [a-z]+" role="status">([^<]*)</div>', html)]


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
    settings = settings_for(workspace.project, servers)
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


def sign_in(page: Page, trainer: TrainerServer, user: str) -> None:
    page.goto(f"{trainer.url}/login")
    page.fill("input[name=username]", user)
    page.fill("input[name=password]", PASSWORDS[user])
    page.click("button[type=submit]")
    page.wait_for_selector("nav .who")
