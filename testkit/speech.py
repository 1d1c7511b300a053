"""A citizen's question as a kiosk microphone sends it: synthesised (deterministic Piper, or any voice.tts engine,
e.g. espeak-ng Mandarin), 16 kHz PCM16."""

from __future__ import annotations

import time

import numpy as np
import soxr


def _pcm16k(tts, text: str, lead_s: float, trail_s: float, gain: float = 1.0, rate: float = 1.0) -> bytes:
    speech = tts.synthesize(text, rate=rate)
    audio = soxr.resample(speech.audio.astype(np.float32) / 32768, speech.sample_rate, 16000) * gain
    audio = np.concatenate(
        [np.zeros(int(lead_s * 16000), np.float32), audio, np.zeros(int(trail_s * 16000), np.float32)]
    )
    return (np.clip(audio, -1, 1) * 32767).astype(np.int16).tobytes()


def speech_pcm16k(tts, text: str) -> bytes:
    """Push-to-talk: the question with 0.2 s of silence either side. `tts` is any voice.tts engine."""
    return _pcm16k(tts, text, 0.2, 0.2)


def hands_free_pcm(
    tts, text: str, lead_s: float = 0.3, trail_s: float = 1.5, gain: float = 1.0, rate: float = 1.0
) -> bytes:
    """A citizen talking to a hands-free kiosk: some room silence, the question, then silence while they wait."""
    return _pcm16k(tts, text, lead_s, trail_s, gain, rate)


def stream_realtime(kiosk, pcm: bytes, chunk_ms: int = 20) -> None:
    """Send PCM16 16 kHz through `kiosk.send(bytes)` in chunk_ms frames at the pace a microphone produces them.

    The sleeps here are the microphone's clock (the thing being simulated), not a wait for the server.
    """
    step = 16 * 2 * chunk_ms
    start = time.perf_counter()
    for n, i in enumerate(range(0, len(pcm), step)):
        kiosk.send(pcm[i : i + step])
        delay = start + (n + 1) * chunk_ms / 1000 - time.perf_counter()
        if delay > 0:
            time.sleep(delay)
