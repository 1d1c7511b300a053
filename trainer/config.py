"""Where the trainer finds the project, the tracker store, the running Rasa server and its own state.

Every value has a default that matches `scripts/env.sh`, and can be overridden from the
environment or the command line, so tests point the trainer at a temporary project copy.
"""

from __future__ import annotations

import logging
import os
from dataclasses import dataclass, field
from pathlib import Path

from trainer.policy import AccountPolicy

REPO_ROOT = Path(__file__).resolve().parent.parent


def dialogue_model_dir_from_env() -> str | None:
    """LOBBY_DIALOGUE_MODEL_DIR; the old LOBBY_MODEL_DIR still works, with a deprecation warning."""
    value = os.environ.get("LOBBY_DIALOGUE_MODEL_DIR")
    if not value and os.environ.get("LOBBY_MODEL_DIR"):
        logging.getLogger(__name__).warning("LOBBY_MODEL_DIR is deprecated: set LOBBY_DIALOGUE_MODEL_DIR instead")
        value = os.environ["LOBBY_MODEL_DIR"]
    return value or None


def _tracker_url_from_env(project: Path) -> str:
    if os.environ.get("LOBBY_TRACKER_URL"):
        return os.environ["LOBBY_TRACKER_URL"]
    if os.environ.get("LOBBY_PG_HOST"):  # the same variables endpoints.postgres.yml reads
        user = os.environ.get("LOBBY_PG_USER", "")
        password = os.environ.get("LOBBY_PG_PASSWORD", "")
        auth = f"{user}:{password}@" if user else ""
        port = os.environ.get("LOBBY_PG_PORT", "5432")
        host, db = os.environ["LOBBY_PG_HOST"], os.environ.get("LOBBY_PG_DB", "rasa")
        return f"postgresql+psycopg://{auth}{host}:{port}/{db}"
    db = os.environ.get("LOBBY_TRACKER_DB") or str(project / "var" / "tracker.db")
    return f"sqlite:///{db}"


@dataclass
class Settings:
    """One trainer installation: a project directory plus the services it talks to."""

    project: Path = field(default_factory=lambda: Path(os.environ.get("LOBBY_ROOT", REPO_ROOT)))
    tracker_url: str = ""
    rasa_url: str = ""
    rasa_token: str = ""
    state_dir: Path | None = None
    model_dir: Path | None = None
    test_split: Path | None = None
    citizen_split: Path | None = None
    # The Chinese held-back split (citizen-split format); scored on its own when the project has Chinese data.
    zh_split: Path | None = None
    # The action server a candidate model's service answers are measured with (confidently-wrong rate).
    action_url: str = field(default_factory=lambda: os.environ.get("LOBBY_ACTION_ENDPOINT", ""))
    venvs: Path = field(default_factory=lambda: Path(os.environ.get("LOBBY_VENVS", REPO_ROOT / ".venv")))
    # The held-back splits together have at least 14 phrases per intent (most have far more), so one phrase
    # flipping moves an intent's F1 by at most ~0.04: a 0.05 margin tolerates one flipped phrase (training
    # noise) and blocks two (a real regression).
    gate_margin: float = field(default_factory=lambda: float(os.environ.get("LOBBY_TRAINER_GATE_MARGIN", "0.05")))
    keep_models: int = field(default_factory=lambda: int(os.environ.get("LOBBY_TRAINER_KEEP_MODELS", "5")))
    min_examples: int = 10
    similarity_threshold: float = 0.85
    low_confidence: float = 0.6
    rasa_cache_dir: Path | None = None
    # Session timeouts and limits, sign-in lock-out (trainer/policy.py, docs/security/accounts.md).
    accounts: AccountPolicy = field(default_factory=AccountPolicy)

    @property
    def rasa_urls(self) -> list[str]:
        """Every Rasa instance (LOBBY_RASA_URL may list several, comma-separated): activation reaches them all."""
        return self.rasa_url.split(",")

    def __post_init__(self) -> None:
        self.project = Path(self.project).resolve()
        self.tracker_url = self.tracker_url or _tracker_url_from_env(self.project)
        port = os.environ.get("LOBBY_RASA_PORT", "5005")
        urls = self.rasa_url or os.environ.get("LOBBY_RASA_URL") or f"http://127.0.0.1:{port}"
        self.rasa_url = ",".join(u.strip().rstrip("/") for u in urls.split(",") if u.strip())
        if not self.rasa_token:
            self.rasa_token = os.environ.get("LOBBY_RASA_TOKEN", "")
        if not self.rasa_token:
            token_file = self.project / "var" / "rasa_token"
            self.rasa_token = token_file.read_text().strip() if token_file.exists() else ""
        self.state_dir = Path(
            self.state_dir or os.environ.get("LOBBY_TRAINER_STATE") or self.project / "var" / "trainer"
        )
        default_models = dialogue_model_dir_from_env() if self.project == REPO_ROOT else None
        self.model_dir = Path(self.model_dir or default_models or self.project / "models" / "dialogue")
        self.test_split = Path(self.test_split or self.project / "tests" / "nlu" / "test_split.yml")
        if not self.test_split.exists():
            self.test_split = REPO_ROOT / "tests" / "nlu" / "test_split.yml"
        self.citizen_split = Path(self.citizen_split or self.project / "tests" / "nlu" / "citizen_split.yml")
        if not self.citizen_split.exists():
            self.citizen_split = REPO_ROOT / "tests" / "nlu" / "citizen_split.yml"
        self.zh_split = Path(self.zh_split or self.project / "tests" / "nlu" / "zh_split.yml")
        if not self.zh_split.exists():
            self.zh_split = REPO_ROOT / "tests" / "nlu" / "zh_split.yml"

    @property
    def data_dir(self) -> Path:
        return self.project / "data"

    @property
    def nlu_dir(self) -> Path:
        return self.data_dir / "nlu"

    @property
    def state_db_url(self) -> str:
        return f"sqlite:///{self.state_dir / 'trainer.db'}"

    @property
    def rasa_python(self) -> Path:
        return self.venvs / "rasa" / "bin" / "python"

    @property
    def app_python(self) -> Path:
        return self.venvs / "app" / "bin" / "python"

    def ensure_dirs(self) -> None:
        for d in (self.state_dir, self.state_dir / "jobs", self.state_dir / "reports", self.model_dir):
            d.mkdir(parents=True, exist_ok=True)
