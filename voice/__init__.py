"""Lobby Guide voice engines: Whisper speech recognition and Piper/espeak-ng speech synthesis.

Plain engines, free of any pipeline framework (the avatar bridge wraps them as
Pipecat services). Importing `voice` is cheap; the heavy libraries load when an
engine is created:

    from voice.asr import Recognizer           # Recognizer("base").transcribe(pcm16, 16000) -> Transcript
    from voice.tts import create_engine        # create_engine("piper").synthesize(text) -> Speech
    from voice.streaming import stream_speech  # async iterator of SpeechChunk, cancellable

See docs/voice.md.
"""

from voice.errors import (
    AudioFormatError,
    AudioTooLongError,
    InvalidRequestError,
    ModelIntegrityError,
    ModelNotInstalledError,
    SynthesisError,
    UnknownVoiceError,
    UnsupportedLanguageError,
    VoiceError,
)

__all__ = [
    "AudioFormatError",
    "AudioTooLongError",
    "InvalidRequestError",
    "ModelIntegrityError",
    "ModelNotInstalledError",
    "SynthesisError",
    "UnknownVoiceError",
    "UnsupportedLanguageError",
    "VoiceError",
]
