"""Minimal ctypes binding to libespeak-ng: audio plus word and phoneme events.

Only the C API reports where each word and phoneme falls in the audio; the
espeak-ng command line does not. The library comes from PyPI's
`espeakng-loader` (libespeak-ng 1.52 with data, which reads Chinese characters
correctly) and falls back to Debian's libespeak-ng1 (installed by set-up from
scripts/apt-packages.txt). libespeak-ng keeps global state, so one instance
per process is shared behind a lock.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import threading
from dataclasses import dataclass

import numpy as np

from voice.errors import SynthesisError

AUDIO_OUTPUT_SYNCHRONOUS = 2
INIT_PHONEME_EVENTS = 0x0001
INIT_PHONEME_IPA = 0x0002
INIT_DONT_EXIT = 0x8000
CHARS_UTF8 = 1
POS_CHARACTER = 1
PARAM_RATE = 1
EVENT_LIST_TERMINATED = 0
EVENT_WORD = 1
EVENT_SENTENCE = 2
EVENT_END = 5
EVENT_MSG_TERMINATED = 6
EVENT_PHONEME = 7
EE_OK = 0


class _EventId(ctypes.Union):
    _fields_ = [("number", ctypes.c_int), ("name", ctypes.c_char_p), ("string", ctypes.c_char * 8)]


class _Event(ctypes.Structure):
    _fields_ = [
        ("type", ctypes.c_int),
        ("unique_identifier", ctypes.c_uint),
        ("text_position", ctypes.c_int),
        ("length", ctypes.c_int),
        ("audio_position", ctypes.c_int),
        ("sample", ctypes.c_int),
        ("user_data", ctypes.c_void_p),
        ("id", _EventId),
    ]


_CALLBACK = ctypes.CFUNCTYPE(ctypes.c_int, ctypes.POINTER(ctypes.c_short), ctypes.c_int, ctypes.POINTER(_Event))


@dataclass(frozen=True)
class Event:
    kind: int  # EVENT_WORD, EVENT_PHONEME, ...
    text_position: int  # 1-based character index into the text
    length: int
    sample: int  # sample index in the synthesised audio
    phoneme: str = ""  # IPA for EVENT_PHONEME ("" marks a pause)


@dataclass(frozen=True)
class Synthesis:
    audio: np.ndarray  # int16
    events: tuple[Event, ...]


class EspeakLibrary:
    """The process-wide libespeak-ng, initialised once in synchronous mode with IPA phoneme events."""

    _instance: EspeakLibrary | None = None
    _instance_lock = threading.Lock()

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.path, data_path, self.bundled = self._locate()
        try:
            self._lib = ctypes.CDLL(self.path)
        except OSError as exc:
            raise SynthesisError(f"cannot load libespeak-ng from {self.path}: {exc}") from exc
        self._lib.espeak_Initialize.restype = ctypes.c_int
        self._lib.espeak_Initialize.argtypes = [ctypes.c_int, ctypes.c_int, ctypes.c_char_p, ctypes.c_int]
        self._lib.espeak_SetVoiceByName.argtypes = [ctypes.c_char_p]
        self._lib.espeak_SetParameter.argtypes = [ctypes.c_int, ctypes.c_int, ctypes.c_int]
        self._lib.espeak_Synth.argtypes = [
            ctypes.c_void_p,
            ctypes.c_size_t,
            ctypes.c_uint,
            ctypes.c_int,
            ctypes.c_uint,
            ctypes.c_uint,
            ctypes.POINTER(ctypes.c_uint),
            ctypes.c_void_p,
        ]
        self.sample_rate = self._lib.espeak_Initialize(
            AUDIO_OUTPUT_SYNCHRONOUS,
            0,
            data_path.encode() if data_path else None,
            INIT_PHONEME_EVENTS | INIT_PHONEME_IPA | INIT_DONT_EXIT,
        )
        if self.sample_rate <= 0:
            raise SynthesisError(f"libespeak-ng at {self.path} failed to initialise (data path {data_path})")
        self._audio: list[np.ndarray] = []
        self._events: list[Event] = []
        self._callback = _CALLBACK(self._on_audio)  # keep a reference: ctypes must not free it
        self._lib.espeak_SetSynthCallback(self._callback)
        self._voice: str | None = None

    @classmethod
    def shared(cls) -> EspeakLibrary:
        with cls._instance_lock:
            if cls._instance is None:
                cls._instance = cls()
            return cls._instance

    @staticmethod
    def _locate() -> tuple[str, str | None, bool]:
        try:
            import espeakng_loader

            return espeakng_loader.get_library_path(), espeakng_loader.get_data_path(), True
        except (ImportError, RuntimeError):
            system = ctypes.util.find_library("espeak-ng") or "libespeak-ng.so.1"
            return system, None, False

    def _on_audio(self, wav: ctypes.POINTER(ctypes.c_short), count: int, events: ctypes.POINTER(_Event)) -> int:
        if count > 0 and wav:
            self._audio.append(np.ctypeslib.as_array(wav, shape=(count,)).copy())
        index = 0
        while events[index].type != EVENT_LIST_TERMINATED:
            event = events[index]
            phoneme = ""
            if event.type == EVENT_PHONEME:
                phoneme = bytes(event.id.string).split(b"\0", 1)[0].decode("utf-8", "replace")
            self._events.append(Event(event.type, event.text_position, event.length, event.sample, phoneme))
            index += 1
        return 0

    def has_voice(self, name: str) -> bool:
        with self.lock:
            return self._set_voice(name)

    def _set_voice(self, name: str) -> bool:
        if name == self._voice:
            return True
        if self._lib.espeak_SetVoiceByName(name.encode()) != EE_OK:
            return False
        self._voice = name
        return True

    def synthesize(self, text: str, voice: str, words_per_minute: int) -> Synthesis:
        """Audio and events for one text; caller has checked the voice exists."""
        with self.lock:
            if not self._set_voice(voice):
                raise SynthesisError(f"espeak-ng voice {voice!r} disappeared")
            self._lib.espeak_SetParameter(PARAM_RATE, int(words_per_minute), 0)
            self._audio, self._events = [], []
            data = text.encode("utf-8") + b"\0"
            status = self._lib.espeak_Synth(data, len(data), 0, POS_CHARACTER, 0, CHARS_UTF8, None, None)
            self._lib.espeak_Synchronize()
            if status != EE_OK:
                raise SynthesisError(f"espeak-ng failed with status {status} on {text!r}")
            audio = np.concatenate(self._audio) if self._audio else np.zeros(0, dtype=np.int16)
            return Synthesis(audio.astype(np.int16, copy=False), tuple(self._events))
