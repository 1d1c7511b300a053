"""Turn whatever audio a caller hands us into mono float32 at the model's rate.

Microphones, browsers and test fixtures disagree on sample rates, channel
counts and sample types; the recogniser wants one shape. Conversions that are
always safe (resampling, downmixing, int16 -> float) happen silently; anything
that would produce a wrong transcript instead of an error (truncated or corrupt
files, NaNs, a missing sample rate) raises `AudioFormatError` with a message a
developer can act on.
"""

from __future__ import annotations

import io
import struct
import wave
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from voice.errors import AudioFormatError

AudioInput = np.ndarray | bytes | bytearray | memoryview | str | Path
MIN_RATE = 4_000
MAX_RATE = 384_000
_STREAMING_SIZES = {0, 0xFFFFFFFF}  # placeholders written by recorders that stream WAV


@dataclass(frozen=True)
class Clip:
    """Mono float32 samples in [-1, 1] plus what they were converted from."""

    samples: np.ndarray
    sample_rate: int
    source_rate: int
    source_channels: int

    @property
    def duration_s(self) -> float:
        return len(self.samples) / self.sample_rate


def _check_rate(sample_rate: int | None) -> int:
    if sample_rate is None:
        raise AudioFormatError("raw PCM or array audio needs sample_rate (e.g. 16000)")
    if not MIN_RATE <= int(sample_rate) <= MAX_RATE:
        raise AudioFormatError(f"sample rate {sample_rate} Hz is outside {MIN_RATE}-{MAX_RATE} Hz")
    return int(sample_rate)


def _to_float_mono(array: np.ndarray) -> tuple[np.ndarray, int]:
    """Scale to float32 and average channels; accepts (n,), (n, ch) and (ch, n)."""
    if array.ndim == 0 or array.size == 0:
        return np.zeros(0, dtype=np.float32), 1
    if array.ndim > 2:
        raise AudioFormatError(f"audio array has {array.ndim} dimensions; expected (samples,) or (samples, channels)")
    if np.issubdtype(array.dtype, np.integer):
        info = np.iinfo(array.dtype)
        if info.min == 0:  # unsigned 8-bit WAV style
            floats = (array.astype(np.float32) - (info.max + 1) / 2) / ((info.max + 1) / 2)
        else:
            floats = array.astype(np.float32) / float(-info.min)
    elif np.issubdtype(array.dtype, np.floating):
        floats = array.astype(np.float32, copy=False)
        if not np.all(np.isfinite(floats)):
            raise AudioFormatError("audio contains NaN or infinite samples")
        floats = np.clip(floats, -1.0, 1.0)
    else:
        raise AudioFormatError(f"unsupported sample type {array.dtype}")
    channels = 1
    if floats.ndim == 2:
        # Channels are the short axis; a (2, 48000) array is channel-first.
        if floats.shape[0] <= 8 and floats.shape[0] < floats.shape[1]:
            floats = floats.T
        channels = floats.shape[1]
        floats = floats.mean(axis=1)
    return np.ascontiguousarray(floats, dtype=np.float32), channels


def check_wav_structure(data: bytes) -> int:
    """Reject corrupt or truncated RIFF/WAVE data before a decoder silently pads it; returns where the
    'data' chunk header starts.

    libsndfile happily decodes a WAV whose data chunk was cut off in transit and
    returns fewer samples; a transcript of half an utterance is worse than an
    error, so the declared chunk sizes are checked against the bytes present.
    """
    if len(data) < 12 or data[:4] != b"RIFF" or data[8:12] != b"WAVE":
        raise AudioFormatError("not a RIFF/WAVE file (missing RIFF/WAVE header)")
    offset = 12
    seen_fmt = False
    while offset + 8 <= len(data):
        chunk_id = data[offset : offset + 4]
        (size,) = struct.unpack("<I", data[offset + 4 : offset + 8])
        body = offset + 8
        if chunk_id == b"fmt ":
            if size < 16 or body + size > len(data):
                raise AudioFormatError("WAV 'fmt ' chunk is truncated or malformed")
            seen_fmt = True
        elif chunk_id == b"data":
            if not seen_fmt:
                raise AudioFormatError("WAV 'data' chunk comes before any 'fmt ' chunk (corrupt file)")
            if size not in _STREAMING_SIZES and body + size > len(data):
                raise AudioFormatError(
                    f"WAV is truncated: header declares {size} bytes of audio but only {len(data) - body} are present"
                )
            return offset
        elif not chunk_id.isascii() or not chunk_id.strip(b" ").isalnum():
            raise AudioFormatError(f"WAV is corrupt: unreadable chunk id {chunk_id!r} at byte {offset}")
        elif body + size > len(data):
            raise AudioFormatError(f"WAV is corrupt or truncated: chunk {chunk_id!r} runs past the end of the file")
        offset = body + size + (size & 1)
    if seen_fmt:
        raise AudioFormatError("WAV is corrupt: no 'data' chunk")
    raise AudioFormatError("WAV is truncated or corrupt: no 'fmt ' chunk")


def _decode_container(data: bytes, origin: str) -> tuple[np.ndarray, int]:
    import soundfile

    if data[:4] == b"RIFF":
        at = check_wav_structure(data)
        (size,) = struct.unpack("<I", data[at + 4 : at + 8])
        if size in _STREAMING_SIZES:  # libsndfile reads a 0 placeholder as "no audio": state what is there
            data = data[: at + 4] + struct.pack("<I", len(data) - at - 8) + data[at + 8 :]
    try:
        samples, rate = soundfile.read(io.BytesIO(data), dtype="float32", always_2d=False)
    except (soundfile.LibsndfileError, RuntimeError, TypeError, ValueError) as exc:
        kind = "corrupt WAV" if data[:4] == b"RIFF" else "unknown or unsupported audio format"
        raise AudioFormatError(f"{origin}: {kind} ({exc})") from exc
    return samples, int(rate)


def load_clip(audio: AudioInput, sample_rate: int | None = None, target_rate: int = 16_000) -> Clip:
    """Decode, downmix and resample any accepted input to mono float32 at `target_rate`.

    Accepted: a numpy array (int16/int32/uint8/float, mono or multi-channel, with
    `sample_rate`), raw little-endian PCM16 bytes (with `sample_rate`), WAV bytes,
    or a path to a WAV/FLAC/OGG file.
    """
    if isinstance(audio, (str, Path)):
        path = Path(audio)
        if not path.is_file():
            raise AudioFormatError(f"no such audio file: {path}")
        samples, rate = _decode_container(path.read_bytes(), str(path))
    elif isinstance(audio, (bytes, bytearray, memoryview)):
        data = bytes(audio)
        if data[:4] == b"RIFF":
            samples, rate = _decode_container(data, "WAV bytes")
        else:
            rate = _check_rate(sample_rate)
            if len(data) % 2:
                raise AudioFormatError(f"raw PCM16 must have an even number of bytes, got {len(data)}")
            samples = np.frombuffer(data, dtype="<i2")
    elif isinstance(audio, np.ndarray):
        rate = _check_rate(sample_rate)
        samples = audio
    else:
        raise AudioFormatError(f"cannot read audio from {type(audio).__name__}; pass an array, bytes or a path")

    rate = _check_rate(rate)
    mono, channels = _to_float_mono(np.asarray(samples))
    if rate != target_rate and mono.size:
        import soxr

        mono = soxr.resample(mono, rate, target_rate, quality="HQ").astype(np.float32, copy=False)
    return Clip(samples=mono, sample_rate=target_rate, source_rate=rate, source_channels=channels)


def float_to_pcm16(samples: np.ndarray) -> np.ndarray:
    return (np.clip(samples, -1.0, 1.0) * 32767.0).astype(np.int16)


def write_wav(path: str | Path, pcm16: np.ndarray, sample_rate: int) -> None:
    """Write mono PCM16 as a plain WAV file (what kiosks, browsers and sox all read)."""
    with wave.open(str(path), "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(2)
        out.setframerate(int(sample_rate))
        out.writeframes(np.asarray(pcm16, dtype="<i2").tobytes())


def wav_bytes(pcm16: np.ndarray, sample_rate: int) -> bytes:
    buffer = io.BytesIO()
    with wave.open(buffer, "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(2)
        out.setframerate(int(sample_rate))
        out.writeframes(np.asarray(pcm16, dtype="<i2").tobytes())
    return buffer.getvalue()
