"""Where the voice engines find their model weights.

Weights are assembled once by set-up (`python -m voice.models install`) into
`models/` at the repository root, which git ignores. Kiosks that keep models on
another disk set LOBBY_GUIDE_MODELS_DIR instead of editing code.
"""

from __future__ import annotations

import os
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent
MODELS_ENV = "LOBBY_GUIDE_MODELS_DIR"


def models_dir() -> Path:
    """Root of the assembled model folders (`asr/<name>/`, `tts/piper/`)."""
    override = os.environ.get(MODELS_ENV)
    return Path(override).expanduser().resolve() if override else REPO_ROOT / "models"
