"""The one place that reaches into faster-whisper's internals: the short-encoder-window shim.

faster-whisper pads every segment to Whisper's 30 s window (3000 mel frames) in
`faster_whisper.transcribe.pad_or_trim`, and has no option to do otherwise;
voice/asr.py decodes a 3 s question about 3x faster with a shorter window (see
the notes there). So `pad_or_trim` is wrapped, once per process: the wrapper
pads to `window.frames` when the calling thread set it, and behaves exactly as
before otherwise (other users of faster-whisper in the process are unaffected).

An upgrade of faster-whisper could rename or re-sign that function, and the
patch would then silently do nothing (3x slower ASR) or break decoding.
`check_version()` (called when the patch is installed, and by the bridge at
start-up) refuses a version this shim was not checked against, with a message
naming this file.
"""

from __future__ import annotations

import inspect
import threading
from importlib import metadata

import numpy as np

TESTED_FASTER_WHISPER = ("1.2.1",)  # update after re-running tests/voice on a new faster-whisper
FULL_FRAMES = 3000
window = threading.local()  # window.frames: this thread's encoder window (None = the full 30 s)


class WhisperIncompatible(RuntimeError):
    """The installed faster-whisper is not one the encoder-window shim was checked against."""


def check_version() -> None:
    version = metadata.version("faster-whisper")
    if version not in TESTED_FASTER_WHISPER:
        raise WhisperIncompatible(
            f"faster-whisper {version} is installed; voice/whisper_compat.py (the short encoder window) was written "
            f"against {', '.join(TESTED_FASTER_WHISPER)}. Check faster_whisper.transcribe.pad_or_trim, run "
            "tests/voice, then add the version to TESTED_FASTER_WHISPER (or pin faster-whisper back in "
            "app-constraints.txt)."
        )
    import faster_whisper.transcribe as fw_transcribe

    original = getattr(fw_transcribe, "pad_or_trim", None)
    params = list(inspect.signature(getattr(original, "__wrapped__", original)).parameters) if original else []
    if params[:2] != ["array", "length"]:
        raise WhisperIncompatible(
            f"faster-whisper {version}: faster_whisper.transcribe.pad_or_trim(array, length, ...) is gone or changed "
            f"(found parameters {params}); voice/whisper_compat.py must be updated"
        )


def install_window_patch() -> None:
    """Wrap pad_or_trim once per process (idempotent)."""
    import faster_whisper.transcribe as fw_transcribe

    original = fw_transcribe.pad_or_trim
    if getattr(original, "_lobby_guide_window", False):
        return
    check_version()

    def pad_or_trim(array: np.ndarray, length: int = FULL_FRAMES, *, axis: int = -1) -> np.ndarray:
        frames = getattr(window, "frames", None)
        return original(array, frames if frames and length == FULL_FRAMES else length, axis=axis)

    pad_or_trim._lobby_guide_window = True  # type: ignore[attr-defined]
    pad_or_trim.__wrapped__ = original  # type: ignore[attr-defined]
    fw_transcribe.pad_or_trim = pad_or_trim
