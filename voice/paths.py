"""Where the voice engines find their model weights.

Weights are assembled once by set-up (`python -m voice.models install`) into
`models/` at the repository root, which git ignores. Kiosks that keep weights on
another disk set LOBBY_WEIGHTS_DIR instead of editing code; it holds every engine's
weights (speech `asr/`, `tts/`, and the sentence encoder's `encoder/`). The old name,
LOBBY_GUIDE_MODELS_DIR, still works and logs a deprecation warning: it was too easy to confuse
with the dialogue model folder, LOBBY_DIALOGUE_MODEL_DIR.
"""

from __future__ import annotations

import logging
import os
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent
MODELS_ENV = "LOBBY_WEIGHTS_DIR"
DEPRECATED_MODELS_ENV = "LOBBY_GUIDE_MODELS_DIR"
_LOG = logging.getLogger(__name__)


def models_dir() -> Path:
    """Root of the assembled model folders (`asr/<name>/`, `tts/piper/`)."""
    override = os.environ.get(MODELS_ENV)
    if not override and os.environ.get(DEPRECATED_MODELS_ENV):
        _LOG.warning("%s is deprecated: set %s instead", DEPRECATED_MODELS_ENV, MODELS_ENV)
        override = os.environ[DEPRECATED_MODELS_ENV]
    return Path(override).expanduser().resolve() if override else REPO_ROOT / "models"
