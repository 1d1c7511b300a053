"""Exception hierarchy of the voice engines.

Callers (the avatar bridge, the CLI, tests) catch `VoiceError` to turn any bad
input into a polite spoken fallback instead of a crashed pipeline; the
subclasses exist so each kind of problem can be logged and tested on its own.
Every subclass is also a `ValueError` or `RuntimeError` so generic handlers
that predate this module still do the right thing.
"""

from __future__ import annotations


class VoiceError(Exception):
    """Base class of every error raised on purpose by `voice`."""


class AudioFormatError(VoiceError, ValueError):
    """Audio that cannot be decoded: corrupt, truncated, empty or of an unknown format."""


class AudioTooLongError(VoiceError, ValueError):
    """An utterance longer than the recogniser accepts (a stuck microphone, not a citizen)."""

    def __init__(self, duration_s: float, limit_s: float):
        self.duration_s = duration_s
        self.limit_s = limit_s
        super().__init__(
            f"audio is {duration_s:.1f} s long; the limit is {limit_s:.1f} s per utterance "
            "(split it, or raise max_duration_s)"
        )


class UnsupportedLanguageError(VoiceError, ValueError):
    """A language the chosen model or voice cannot handle."""


class UnknownVoiceError(VoiceError, ValueError):
    """A TTS engine or voice name that is not installed or does not exist."""


class ModelNotInstalledError(VoiceError, RuntimeError):
    """Model weights are missing: set-up (`python -m voice.models install`) has not run."""


class ModelIntegrityError(VoiceError, RuntimeError):
    """Model weights on disk do not match the sha256 recorded in the manifest."""


class SynthesisError(VoiceError, RuntimeError):
    """The TTS engine failed on input that looked valid (engine bug or missing library)."""


class InvalidRequestError(VoiceError, ValueError):
    """A request the engines refuse by design: empty or over-long text, a speaking rate out of range."""
