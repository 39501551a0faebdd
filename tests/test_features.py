"""The frontend: the model's Kaldi fbank options, checked against kaldi-native-fbank configured
independently and against a small NumPy re-derivation of Kaldi's fbank; streaming invariance."""

from __future__ import annotations

import kaldi_native_fbank as knf
import numpy as np
import pytest

from asr.audio import iter_chunks
from asr.features import NUM_BINS, StreamingFbank, compute_fbank


def _reference_knf(samples: np.ndarray) -> np.ndarray:
    """kaldi-native-fbank with the options written out as the model's README states them."""
    opts = knf.FbankOptions.from_dict({
        "frame_opts": {"samp_freq": 16000.0, "dither": 0.0, "snip_edges": False,
                       "frame_shift_ms": 10.0, "frame_length_ms": 25.0, "window_type": "povey",
                       "preemph_coeff": 0.97, "remove_dc_offset": True,
                       "round_to_power_of_two": True},
        "mel_opts": {"num_bins": 80, "low_freq": 20.0, "high_freq": -400.0},
    })
    fbank = knf.OnlineFbank(opts)
    fbank.accept_waveform(16000, samples.tolist())
    fbank.input_finished()
    return np.array([fbank.get_frame(i) for i in range(fbank.num_frames_ready)])


def _mel(f: np.ndarray) -> np.ndarray:
    return 1127.0 * np.log(1.0 + f / 700.0)


def _numpy_kaldi_frame(samples: np.ndarray, index: int) -> np.ndarray:
    """Kaldi's fbank for one frame (snip_edges=False: frames centred on index*160+80)."""
    length, shift, fft = 400, 160, 512
    start = index * shift + shift // 2 - length // 2
    positions = np.arange(start, start + length)
    n = len(samples)
    positions = np.where(positions < 0, -positions - 1, positions)  # reflect at the edges
    positions = np.where(positions >= n, 2 * n - positions - 1, positions)
    frame = samples[positions].astype(np.float64)
    frame -= frame.mean()
    frame[1:] -= 0.97 * frame[:-1].copy()
    frame[0] -= 0.97 * frame[0]
    frame *= (0.5 - 0.5 * np.cos(2 * np.pi * np.arange(length) / (length - 1))) ** 0.85
    power = np.abs(np.fft.rfft(frame, fft)) ** 2
    freqs = np.arange(fft // 2 + 1) * 16000 / fft
    low, high = _mel(np.array(20.0)), _mel(np.array(8000.0 - 400.0))
    edges = np.linspace(low, high, NUM_BINS + 2)
    mel = _mel(freqs)
    energies = np.empty(NUM_BINS)
    for b in range(NUM_BINS):
        left, centre, right = edges[b], edges[b + 1], edges[b + 2]
        up = (mel - left) / (centre - left)
        down = (right - mel) / (right - centre)
        weights = np.clip(np.minimum(up, down), 0.0, None)
        weights[(mel <= left) | (mel >= right)] = 0.0
        energies[b] = max(float(weights @ power), np.finfo(np.float32).eps)
    return np.log(energies)


@pytest.fixture(scope="module")
def speech(samples_0001: np.ndarray) -> np.ndarray:
    return samples_0001


def test_matches_kaldi_native_fbank_reference(speech: np.ndarray) -> None:
    ours = compute_fbank(speech)
    reference = _reference_knf(speech)
    assert ours.shape == reference.shape == (round(len(speech) / 160), NUM_BINS)
    np.testing.assert_allclose(ours, reference, atol=1e-4)


@pytest.mark.parametrize("index", [0, 1, 57, 150])
def test_matches_numpy_derivation_of_kaldi_fbank(speech: np.ndarray, index: int) -> None:
    ours = compute_fbank(speech)[index]
    np.testing.assert_allclose(ours, _numpy_kaldi_frame(speech, index), atol=2e-2)


@pytest.mark.parametrize("size", [160, 512, 4000, 1])
def test_streaming_equals_one_piece(speech: np.ndarray, size: int) -> None:
    audio = speech[:8000] if size == 1 else speech
    stream = StreamingFbank()
    pieces = []
    for chunk in iter_chunks(audio, size):
        stream.accept(chunk.samples)
        pieces.append(stream.take())
    stream.finish()
    pieces.append(stream.take())
    np.testing.assert_array_equal(np.concatenate(pieces), compute_fbank(audio))
