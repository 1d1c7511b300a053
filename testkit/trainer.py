"""The trainer under test: a temporary project copy with one intent weakened, the trainer's CLI and its
web server, accounts, and a signed-in HTTP client.

The conftest explains why the workspace is weakened.
"""

from __future__ import annotations

import re
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

import httpx

from testkit.dialogue import ROOT, VENVS, DialogueServers
from testkit.servers import ThreadedServer
from trainer.config import Settings
from trainer.web import create_app

RASA_CACHE = ROOT / "var" / "trainer-test-cache"
WEAK_INTENT = "hall_hours"
KEPT = ["what are your opening hours", "hours"]
PASSWORDS = {"ada": "ada-admin-pass", "ann": "ann-annotator-pass"}


def copy_project(dest: Path, weaken: bool = True, epochs: int | None = 20, chinese: bool = False) -> Path:
    """A project directory the trainer may change freely: config, domain, data, the test splits.

    `weaken` cuts WEAK_INTENT to two examples and trains on sparse features only (the pretrained sentence
    vectors let even two examples generalise, so the weakness would not be real); `epochs` shortens DIET
    (None keeps the production config). `chinese` keeps the Chinese training data (data/nlu/zh.yml), for
    tests that annotate or evaluate in Chinese without training.
    """
    dest.mkdir(parents=True, exist_ok=True)
    for name in ("config.yml", "domain.yml"):
        shutil.copy(ROOT / name, dest / name)
    # The Chinese training data is left out by default: the loop is exercised in English, and a third more
    # data would only make its two trainings slower (and without it the trainer evaluates English only).
    skip = ("generated_*",) if chinese else ("generated_*", "zh.yml")
    shutil.copytree(ROOT / "data", dest / "data", ignore=shutil.ignore_patterns(*skip))
    (dest / "tests" / "nlu").mkdir(parents=True)
    for split in ("test_split.yml", "citizen_split.yml", "zh_split.yml"):
        shutil.copy(ROOT / "tests" / "nlu" / split, dest / "tests" / "nlu" / split)
    (dest / "models" / "dialogue").mkdir(parents=True)
    if epochs is not None:
        config = dest / "config.yml"
        config.write_text(config.read_text().replace("epochs: 60", f"epochs: {epochs}"))
    if weaken:
        config = dest / "config.yml"
        dense = "  - name: nlu.sentence_featurizer.SentenceEncoderFeaturizer\n"
        assert dense in config.read_text(), "config.yml changed: update the weakened workspace"
        config.write_text(config.read_text().replace(dense, ""))
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


def cli(
    settings: Settings, *args: str, stdin: str | None = None, timeout: float = 900, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess:
    """Run `python -m trainer` as a user would, against the given workspace.

    A command naming a test account with `--user NAME` signs in with that account's password through
    `LOBBY_TRAINER_PASSWORD`, as a script would; `env` adds or overrides variables (an empty
    LOBBY_TRAINER_PASSWORD runs the command with no password at all). Standard input is never a
    terminal, so a command that would ask for a password is refused instead of waiting.
    """
    cmd = [str(VENVS / "app" / "bin" / "python"), "-m", "trainer", "--project", str(settings.project),
           "--tracker-url", settings.tracker_url, "--rasa-url", settings.rasa_url, "--token", settings.rasa_token,
           "--state-dir", str(settings.state_dir), *args]  # fmt: skip
    base = {"PATH": "/usr/bin:/bin", "PYTHONPATH": str(ROOT), "HOME": str(settings.state_dir),
            "RASA_CACHE_DIRECTORY": str(RASA_CACHE), "MPLCONFIGDIR": str(settings.state_dir / "mpl")}  # fmt: skip
    if "--user" in args and args[args.index("--user") + 1] in PASSWORDS:
        base["LOBBY_TRAINER_PASSWORD"] = PASSWORDS[args[args.index("--user") + 1]]
    full_env = {k: v for k, v in {**base, **(env or {})}.items() if v}
    return subprocess.run(
        cmd, cwd=ROOT, env=full_env, input=stdin or "", capture_output=True, text=True, timeout=timeout
    )


def add_accounts(settings: Settings) -> None:
    """The admin ada (the first admin, so no sign-in needed) and the annotator ann, added by ada."""
    for name, role in (("ada", "admin"), ("ann", "annotator")):
        result = cli(settings, "users", "add", name, "--role", role, "--password-stdin", "--user", "ada",
                     stdin=PASSWORDS[name] + "\n")  # fmt: skip
        assert result.returncode == 0, result.stderr


class TrainerServer(ThreadedServer):
    """The trainer's web app on a free loopback port (uvicorn in a thread, as `python -m trainer serve`)."""

    def __init__(self, settings: Settings):
        self.settings = settings
        super().__init__(create_app(settings), health="/login")

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


def sign_in(page, trainer: TrainerServer, user: str) -> None:
    """Sign in through the login form of a Playwright page."""
    page.goto(f"{trainer.url}/login")
    page.fill("input[name=username]", user)
    page.fill("input[name=password]", PASSWORDS[user])
    page.click("button[type=submit]")
    page.wait_for_selector("nav .who")
