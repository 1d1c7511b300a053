"""Every private Pipecat internal the bridge relies on, in one fenced place.

Pipecat changes fast (~50 breaking or behaviour notes from 1.0 to 1.14) and
some of what the bridge needs has no public API: the VAD's state machine (to
start the speculative ASR decode at the first quiet frames), the segmented STT
service's audio buffer and segment queue (to hand over a speculated segment),
and Smart-Turn's silence fallback (changed mid-session in elderly mode). The
stages call the helpers below instead of touching underscored attributes, and
`check_versions()` runs at start-up: on a Pipecat other than the one these
helpers were written and tested against, or when an internal they use is gone,
the bridge refuses to start with a message that names this file.
"""

from __future__ import annotations

import asyncio
import inspect
from importlib import metadata

from pipecat.audio.turn.smart_turn.base_smart_turn import BaseSmartTurn, SmartTurnParams
from pipecat.audio.vad.vad_analyzer import VADAnalyzer, VADState
from pipecat.frames.frames import VADUserStoppedSpeakingFrame
from pipecat.services.stt_service import SegmentedSTTService

TESTED_PIPECAT = ("1.14.0",)  # update after re-running tests/bridge on a new Pipecat


class PipecatIncompatible(RuntimeError):
    """The installed Pipecat is not one the bridge's internals were checked against."""


# --- what each helper touches, checked by check_versions() ----------------------------------------------------------
_INTERNALS: tuple[tuple[type, str, tuple[str, ...]], ...] = (
    (VADAnalyzer, "set_params", ("self._vad_state", "self._vad_stopping_count")),
    (BaseSmartTurn, "__init__", ("self._params", "self._stop_ms")),
    (SegmentedSTTService, "__init__", ("self._audio_buffer", "self._segment_queue", "self._user_speaking")),
    (SegmentedSTTService, "_handle_user_stopped_speaking", ("self._audio_buffer",)),
    (SegmentedSTTService, "_cancel_segment_task", ("self._segment_task",)),
)


def check_versions() -> None:
    """Fail at start-up, in one obvious place, if Pipecat moved under the bridge."""
    version = metadata.version("pipecat-ai")
    if version not in TESTED_PIPECAT:
        raise PipecatIncompatible(
            f"pipecat-ai {version} is installed; avatar_bridge/pipecat_compat.py was written against "
            f"{', '.join(TESTED_PIPECAT)}. Check each internal it lists against the new version, run tests/bridge, "
            "then add the version to TESTED_PIPECAT (or pin pipecat-ai back in app-constraints.txt)."
        )
    missing = []
    for cls, method, names in _INTERNALS:
        try:
            source = inspect.getsource(getattr(cls, method))
        except (AttributeError, OSError, TypeError):
            missing.append(f"{cls.__name__}.{method}")
            continue
        missing += [f"{cls.__name__}.{method}: {name}" for name in names if name not in source]
    if missing:
        raise PipecatIncompatible(
            f"pipecat-ai {version} no longer has internals avatar_bridge/pipecat_compat.py uses: {'; '.join(missing)}"
        )


# --- Silero VAD state machine ---------------------------------------------------------------------------------------
def vad_state(vad: VADAnalyzer) -> VADState:
    """QUIET / STARTING / SPEAKING / STOPPING, as of the last analysed frame (Pipecat keeps it private)."""
    return vad._vad_state


def vad_quiet_frames(vad: VADAnalyzer) -> int:
    """Frames of quiet counted so far while STOPPING."""
    return vad._vad_stopping_count


# --- Smart-Turn's silence fallback ----------------------------------------------------------------------------------
def set_smart_turn_fallback(analyzer: BaseSmartTurn, seconds: float) -> None:
    """Silence after which the turn ends whatever the model says (Smart-Turn reads it from `_stop_ms`)."""
    params = analyzer._params
    analyzer._params = SmartTurnParams(
        stop_secs=seconds, pre_speech_ms=params.pre_speech_ms, max_duration_secs=params.max_duration_secs
    )
    analyzer._stop_ms = seconds * 1000


# --- SegmentedSTTService's segment ----------------------------------------------------------------------------------
def segment_audio(stt: SegmentedSTTService) -> bytearray:
    """The PCM of the segment so far (with the base class's one-second pre-roll)."""
    return stt._audio_buffer


def segment_open(stt: SegmentedSTTService) -> bool:
    return stt._user_speaking


def open_segment(stt: SegmentedSTTService, keep_preroll: bool) -> None:
    if not keep_preroll:
        stt._audio_buffer.clear()
    stt._user_speaking = True


async def hand_over_segment(stt: SegmentedSTTService, segment: bytes) -> None:
    """Close the segment and queue `segment` (e.g. one whose decoding already started) for run_stt."""
    stt._user_speaking = False
    stt._audio_buffer.clear()
    queue: asyncio.Queue = stt._segment_queue
    await queue.put(segment)


async def close_segment(stt: SegmentedSTTService) -> None:
    """Close the segment the base class's way (trailing silence appended, queued for run_stt)."""
    await stt._handle_user_stopped_speaking(VADUserStoppedSpeakingFrame())


async def stop_segment_task(stt: SegmentedSTTService) -> None:
    """Cancel the segment task (Pipecat does it only on a CancelFrame or EndFrame; idempotent)."""
    await stt._cancel_segment_task()
