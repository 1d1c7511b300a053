"""Text-to-speech engines behind one interface (`TTSEngine.synthesize` -> `Speech`).

`create_engine` builds an engine by name; `engine_for_language` picks Piper
where it has a voice and falls back to espeak-ng otherwise (or when the Piper
voice cannot be loaded), so the guide always has something to say.
"""

from __future__ import annotations

import logging

from voice.errors import UnknownVoiceError, VoiceError
from voice.tts.base import PhonemeTiming, Speech, TTSEngine, VisemeEvent, WordTiming

ENGINES = ("piper", "espeak")
_LOG = logging.getLogger(__name__)
_CACHE: dict[tuple[str, str | None, str], TTSEngine] = {}

__all__ = [
    "ENGINES",
    "PhonemeTiming",
    "Speech",
    "TTSEngine",
    "VisemeEvent",
    "WordTiming",
    "create_engine",
    "engine_for_language",
]


def create_engine(name: str = "piper", voice: str | None = None, language: str = "en") -> TTSEngine:
    """A shared engine instance (models load once per process)."""
    key = (name, voice, language)
    if key in _CACHE:
        return _CACHE[key]
    if name == "piper":
        from voice.tts.piper_engine import DEFAULT_VOICE, PiperEngine

        engine: TTSEngine = PiperEngine(voice or DEFAULT_VOICE)
    elif name == "espeak":
        from voice.tts.espeak_engine import EspeakEngine

        engine = EspeakEngine(voice, language)
    else:
        raise UnknownVoiceError(f"unknown TTS engine {name!r}; use one of {', '.join(ENGINES)}")
    _CACHE[key] = engine
    return engine


def engine_for_language(language: str = "en", preferred: str = "piper") -> TTSEngine:
    """Piper for the languages its voice speaks, espeak-ng for the rest or if Piper fails to load."""
    if preferred == "piper":
        try:
            engine = create_engine("piper")
            if language in engine.languages:
                return engine
        except VoiceError as exc:
            _LOG.warning("Piper unavailable (%s); falling back to espeak-ng", exc)
    return create_engine("espeak", language=language)
