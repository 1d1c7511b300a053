"""Audio input conversion: any rate, channel layout and sample type becomes 16 kHz mono float."""

from __future__ import annotations

import struct

import numpy as np
import pytest

from voice.audio import check_wav_structure, load_clip, wav_bytes
from voice.errors import AudioFormatError


def test_int16_is_scaled_and_resampled_to_16_khz():
    clip = load_clip(np.full(48000, 16384, dtype=np.int16), 48000)
    assert clip.sample_rate == 16000 and clip.source_rate == 48000
    assert len(clip.samples) == 16000 and clip.samples.dtype == np.float32
    assert np.allclose(clip.samples[1000:15000], 0.5, atol=0.01)


@pytest.mark.parametrize("layout", ["samples-by-channels", "channels-by-samples"])
def test_stereo_is_averaged_whatever_the_layout(layout):
    left, right = np.full(16000, 0.5, dtype=np.float32), np.zeros(16000, dtype=np.float32)
    stereo = np.stack([left, right], axis=1 if layout == "samples-by-channels" else 0)
    clip = load_clip(stereo, 16000)
    assert clip.source_channels == 2 and len(clip.samples) == 16000
    assert np.allclose(clip.samples, 0.25)


def test_unsigned_8_bit_is_centred():
    clip = load_clip(np.full(1600, 128, dtype=np.uint8), 16000)
    assert np.allclose(clip.samples, 0.0)


@pytest.mark.parametrize("placeholder", [0xFFFFFFFF, 0], ids=["max", "zero"])
def test_wav_written_by_a_streaming_recorder_is_accepted(placeholder):
    tone = (np.sin(np.arange(1600) * 2 * np.pi * 440 / 16000) * 8000).astype(np.int16)
    data = bytearray(wav_bytes(tone, 16000))
    index = data.index(b"data")
    data[index + 4 : index + 8] = struct.pack("<I", placeholder)  # size unknown while recording
    check_wav_structure(bytes(data))  # raises AudioFormatError if the placeholder were taken for truncation
    clip = load_clip(bytes(data))
    assert len(clip.samples) == 1600, "every recorded sample is decoded, none padded or cut"
    assert np.allclose(clip.samples, tone / 32768, atol=1e-3)


def test_float_samples_out_of_range_are_clipped_not_rejected():
    clip = load_clip(np.array([2.0, -3.0, 0.5], dtype=np.float32), 16000)
    assert clip.samples.max() <= 1.0 and clip.samples.min() >= -1.0


def test_data_before_format_is_corrupt():
    bad = b"RIFF" + struct.pack("<I", 100) + b"WAVE" + b"data" + struct.pack("<I", 4) + b"\0\0\0\0"
    with pytest.raises(AudioFormatError, match="before any 'fmt '"):
        check_wav_structure(bad)
